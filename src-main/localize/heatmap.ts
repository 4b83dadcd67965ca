/**
 * Heatmap images of score maps (pure TypeScript): a [0,1] map coloured with a
 * colormap, optionally blended over the image, as HWC RGB bytes for the
 * PNG encoder.
 */
import type { HeatmapColormap } from '../common/contract/localize.ts';
import { colormapRgb } from '../common/colormap.ts';

export { colormapRgb };

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** An image to blend under the heatmap: HWC bytes, 1 (gray) or 3 (RGB) channels. */
export interface BlendImage {
  data: Uint8Array;
  channels: 1 | 3;
}

/**
 * RGB bytes [h,w,3] of `map` (values in [0,1], row-major h x w) coloured with
 * `colormap`; with `blend` < 1 and an image, each pixel is
 * blend x colour + (1 - blend) x the image's pixel (a gray one on all three).
 */
export function heatmapRgb(map: Float32Array, width: number, height: number, colormap: HeatmapColormap, blend = 1, image?: BlendImage): Uint8Array {
  const n = width * height;
  if (map.length !== n) throw new Error(`heatmap: the map has ${map.length} values, ${width}x${height} needs ${n}.`);
  if (image && image.data.length !== n * image.channels) throw new Error(`heatmap: the image has ${image.data.length / image.channels} pixels, ${width}x${height} needs ${n}.`);
  const out = new Uint8Array(n * 3);
  const lut: [number, number, number][] = [];
  for (let i = 0; i < 256; i++) lut.push(colormapRgb(colormap, i / 255));
  const under = image && blend < 1 ? image : null;
  for (let q = 0; q < n; q++) {
    const c = lut[Math.round(clamp01(map[q]!) * 255)]!;
    for (let k = 0; k < 3; k++) {
      out[q * 3 + k] = under ? Math.round(blend * c[k]! + (1 - blend) * under.data[q * under.channels + (under.channels === 3 ? k : 0)]!) : c[k]!;
    }
  }
  return out;
}
