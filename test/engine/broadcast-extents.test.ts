/** Which broadcasts the native element-wise kernels take, and how they read them. */
import { describe, it, expect } from 'vitest';
import { broadcastExtents } from '../../src-main/engine/native/kernels/elementwise.ts';

describe('broadcastExtents', () => {
  it.each([
    [[2, 3, 4], [2, 3, 4], { outer: 1, mid: 1, inner: 24 }],
    [[4, 32, 16, 64], [4, 1, 1, 64], { outer: 4, mid: 512, inner: 64 }],
    [[4, 32, 16, 64], [64], { outer: 1, mid: 2048, inner: 64 }],
    [[4, 32, 16, 64], [1, 1, 1, 64], { outer: 1, mid: 2048, inner: 64 }],
    [[4, 32, 16, 64], [4, 1, 1, 1], { outer: 4, mid: 32768, inner: 1 }],
    [[3, 1, 5, 2, 4], [3, 1, 1, 1, 4], { outer: 3, mid: 10, inner: 4 }],
    [[2, 3, 4], [], { outer: 1, mid: 24, inner: 1 }],
  ])('%j op %j', (full, small, expected) => {
    expect(broadcastExtents(full, small)).toEqual(expected);
  });

  it.each([
    [[2, 3, 4], [2, 1, 4, 1]], // small of higher rank
    [[2, 3, 4], [1, 3, 1]], // two separate broadcast blocks
    [[2, 3, 4], [2, 2, 4]], // not a broadcast at all
  ])('%j op %j: not taken (the replaced kernel runs)', (full, small) => {
    expect(broadcastExtents(full, small)).toBeNull();
  });
});
