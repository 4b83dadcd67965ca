/**
 * Heatmap images of score maps (pure TypeScript): a [0,1] map coloured with a
 * colormap, optionally blended over the gray image, as HWC RGB bytes for the
 * PNG encoder.
 */
import type { HeatmapColormap } from '../common/contract/localize.ts';

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Viridis at 0, 1/8, ..., 1 (matplotlib's), linearly interpolated between. */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The colour (0-255 RGB) of value v in [0,1]: jet (blue, cyan, yellow, red), viridis or gray. */
export function colormapRgb(name: HeatmapColormap, v: number): [number, number, number] {
  const x = clamp01(v);
  if (name === 'gray') {
    const g = Math.round(x * 255);
    return [g, g, g];
  }
  if (name === 'jet') {
    const c = (k: number): number => Math.round(255 * clamp01(1.5 - Math.abs(4 * x - k)));
    return [c(3), c(2), c(1)];
  }
  const t = x * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(t), VIRIDIS.length - 2);
  const f = t - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number];
}

/**
 * RGB bytes [h,w,3] of `map` (values in [0,1], row-major h x w) coloured with
 * `colormap`; with `blend` < 1 and an image (gray 0-255 per pixel), each pixel
 * is blend x colour + (1 - blend) x image.
 */
export function heatmapRgb(map: Float32Array, width: number, height: number, colormap: HeatmapColormap, blend = 1, gray?: Float32Array | Uint8Array): Uint8Array {
  const n = width * height;
  if (map.length !== n) throw new Error(`heatmap: the map has ${map.length} values, ${width}x${height} needs ${n}.`);
  if (gray && gray.length !== n) throw new Error(`heatmap: the image has ${gray.length} pixels, ${width}x${height} needs ${n}.`);
  const out = new Uint8Array(n * 3);
  const lut: [number, number, number][] = [];
  for (let i = 0; i < 256; i++) lut.push(colormapRgb(colormap, i / 255));
  for (let q = 0; q < n; q++) {
    const c = lut[Math.round(clamp01(map[q]!) * 255)]!;
    const g = gray ? gray[q]! : 0;
    for (let k = 0; k < 3; k++) out[q * 3 + k] = Math.round(gray && blend < 1 ? blend * c[k]! + (1 - blend) * g : c[k]!);
  }
  return out;
}

/** Mean over channels of HWC bytes: the gray image [h*w]. */
export function grayOf(pixels: Uint8Array, n: number, channels: number, offset = 0): Float32Array {
  const g = new Float32Array(n);
  for (let q = 0; q < n; q++) {
    let s = 0;
    for (let k = 0; k < channels; k++) s += pixels[offset + q * channels + k]!;
    g[q] = s / channels;
  }
  return g;
}
