/**
 * The heatmap colormaps (pure TypeScript, no imports beyond the contract's
 * type): one table for the PNGs `localize.maps` writes and the Localization
 * page's canvases, so both show a map in the same colours.
 */
import type { HeatmapColormap } from './contract/localize.ts';

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

