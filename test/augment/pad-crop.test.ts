import { describe, it, expect } from 'vitest';
import { padCrop } from '../../src-main/augment/transforms/pad-crop.ts';
import type { PadCropParams } from '../../src-main/augment/transforms/pad-crop.ts';

/** Straightforward reference: build the padded image, then cut the window. */
function reference(data: Float32Array, h: number, w: number, c: number, p: PadCropParams): number[] {
  const ph = h + 2 * p.padding;
  const pw = w + 2 * p.padding;
  const clamp = (v: number, n: number): number => Math.min(Math.max(v, 0), n - 1);
  const reflect = (v: number, n: number): number => (v < 0 ? -v : v >= n ? 2 * (n - 1) - v : v);
  const padded = new Float32Array(ph * pw * c);
  for (let y = 0; y < ph; y++)
    for (let x = 0; x < pw; x++)
      for (let ch = 0; ch < c; ch++) {
        let sy = y - p.padding;
        let sx = x - p.padding;
        let v: number;
        if (sy >= 0 && sy < h && sx >= 0 && sx < w) v = data[(sy * w + sx) * c + ch]!;
        else if (p.padMode === 'constant') v = p.padValue;
        else {
          sy = p.padMode === 'edge' ? clamp(sy, h) : reflect(sy, h);
          sx = p.padMode === 'edge' ? clamp(sx, w) : reflect(sx, w);
          v = data[(sy * w + sx) * c + ch]!;
        }
        padded[(y * pw + x) * c + ch] = v;
      }
  const out: number[] = [];
  for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) for (let ch = 0; ch < c; ch++) out.push(padded[((p.top + y) * pw + p.left + x) * c + ch]!);
  return out;
}

describe('padCrop', () => {
  it.each(['constant', 'edge', 'reflect'] as const)('%s: every crop position matches pad-then-cut', (padMode) => {
    const [h, w, c, padding] = [5, 6, 2, 3];
    const data = new Float32Array(h * w * c).map((_, i) => i + 1);
    for (const [height, width] of [
      [5, 6],
      [4, 7],
    ])
      for (let top = 0; top <= h + 2 * padding - height; top++)
        for (let left = 0; left <= w + 2 * padding - width; left++) {
          const p: PadCropParams = { top, left, padding, height, width, padMode, padValue: -5 };
          expect(Array.from(padCrop.apply({ data, h, w, c }, p).data)).toEqual(reference(data, h, w, c, p));
        }
  });
});
