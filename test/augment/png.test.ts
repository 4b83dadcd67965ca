import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encodePng } from '../../src-main/augment/png.ts';

describe('encodePng', () => {
  it.each([1, 3, 4])('keeps %i channel(s) and the clamped, rounded pixel values', async (c) => {
    const h = 3, w = 5;
    const data = new Float32Array(h * w * c).map((_, i) => (i * 37) % 300 - 20 + 0.4);
    const png = await encodePng(data, h, w, c);
    expect((await sharp(png).metadata()).channels).toBe(c);
    // sharp decodes grayscale to RGB unless told; the first channel holds the gray values.
    const decoded = c === 1 ? sharp(png).extractChannel(0) : sharp(png);
    const { data: back, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([w, h]);
    const want = Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v))));
    expect(Array.from(back)).toEqual(want);
  });
});
