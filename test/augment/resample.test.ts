import { describe, it, expect } from 'vitest';
import { resizeWindowBilinear } from '../../src-main/augment/transforms/resample.ts';

describe('bilinear resampling (half-pixel centres, as torch interpolate align_corners=False)', () => {
  it('upsamples a row with edge clamping', () => {
    const out = resizeWindowBilinear({ data: Float32Array.from([0, 10]), h: 1, w: 2, c: 1 }, { top: 0, left: 0, height: 1, width: 2 }, 1, 4);
    expect(Array.from(out.data)).toEqual([0, 2.5, 7.5, 10]);
  });

  it('reads only inside the window and keeps channels apart', () => {
    // 3x3 image, 2 channels: channel 0 = 10*y + x, channel 1 = -1 everywhere; the window is the bottom-right 2x2.
    const data = new Float32Array(18);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) [data[(y * 3 + x) * 2], data[(y * 3 + x) * 2 + 1]] = [10 * y + x, -1];
    const out = resizeWindowBilinear({ data, h: 3, w: 3, c: 2 }, { top: 1, left: 1, height: 2, width: 2 }, 1, 1);
    // One output pixel at the window's centre: mean of 11, 12, 21, 22.
    expect(Array.from(out.data)).toEqual([16.5, -1]);
  });
});
