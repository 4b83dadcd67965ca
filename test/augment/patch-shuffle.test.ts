import { describe, it, expect } from 'vitest';
import { patchShuffle } from '../../src-main/augment/transforms/patch-shuffle.ts';
import type { PatchShuffleOptions } from '../../src-main/augment/transforms/patch-shuffle.ts';
import { resolveOptions } from '../../src-main/augment/pipeline.ts';
import { Rng } from '../../src-main/common/random.ts';

const opts = (raw: Record<string, unknown>): PatchShuffleOptions => resolveOptions(patchShuffle, raw) as unknown as PatchShuffleOptions;

function distinctImage(h: number, w: number, c: number): { data: Float32Array; h: number; w: number; c: number } {
  const data = new Float32Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = i;
  return { data, h, w, c };
}

function patchValues(img: { data: Float32Array; w: number; c: number }, py: number, px: number, n: number, ch: number): number[] {
  const v: number[] = [];
  for (let y = py; y < py + n; y++) for (let x = px; x < px + n; x++) v.push(img.data[(y * img.w + x) * img.c + ch]!);
  return v.sort((a, b) => a - b);
}

describe('PatchShuffle', () => {
  it.each([
    [2, 'image'],
    [3, 'image'],
    [2, 'channel'],
    [4, 'channel'],
  ] as const)('n=%i %s: keeps the multiset inside each patch, moves pixels, and leaves remainder rows/columns untouched', (n, mode) => {
    const image = distinctImage(11, 13, 3); // 11 and 13 are not divisible by n: remainders exist
    const o = opts({ n, p: 1, mode });
    const prm = patchShuffle.makeParams(new Rng(42), image, o);
    const out = patchShuffle.apply(image, prm);
    const fullRows = Math.floor(11 / n) * n;
    const fullCols = Math.floor(13 / n) * n;
    let moved = 0;
    for (let py = 0; py < fullRows; py += n)
      for (let px = 0; px < fullCols; px += n)
        for (let ch = 0; ch < 3; ch++) expect(patchValues(out, py, px, n, ch)).toEqual(patchValues(image, py, px, n, ch));
    for (let y = 0; y < 11; y++)
      for (let x = 0; x < 13; x++)
        for (let ch = 0; ch < 3; ch++) {
          const i = (y * 13 + x) * 3 + ch;
          if (y >= fullRows || x >= fullCols) expect(out.data[i]).toBe(image.data[i]);
          else if (out.data[i] !== image.data[i]) moved++;
        }
    expect(moved).toBeGreaterThan(0);
    if (mode === 'image') {
      // Pixels move with all their channels.
      for (let i = 0; i < out.data.length; i += 3) {
        expect(out.data[i + 1]! - out.data[i]!).toBe(1);
        expect(out.data[i + 2]! - out.data[i]!).toBe(2);
      }
    }
  });

  it('same seed gives identical output; other seeds differ', () => {
    const image = distinctImage(16, 16, 1);
    const o = opts({ n: 2, p: 1 });
    const a = patchShuffle.apply(image, patchShuffle.makeParams(new Rng(5), image, o));
    const b = patchShuffle.apply(image, patchShuffle.makeParams(new Rng(5), image, o));
    const c = patchShuffle.apply(image, patchShuffle.makeParams(new Rng(6), image, o));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('shuffles at rate p per image and per channel', () => {
    const o = opts({ n: 2, p: 0.3 });
    let on = 0;
    for (let i = 0; i < 4000; i++) if (patchShuffle.makeParams(new Rng(i), { h: 8, w: 8, c: 3 }, o).applied[0]) on++;
    expect(Math.abs(on / 4000 - 0.3)).toBeLessThan(0.03);
    const perChannel = patchShuffle.makeParams(new Rng(1), { h: 8, w: 8, c: 5 }, opts({ mode: 'channel', p: 0.5 }));
    expect(perChannel.applied).toHaveLength(5);
  });
});
