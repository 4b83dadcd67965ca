/** Colours of the Localization page's canvases: RGBA bytes for ImageData. */
import { colormapRgb } from '../../../src-main/common/colormap.ts';
import type { HeatmapColormap } from '../../../src-main/common/contract/index.ts';

/** A 0-255 map in `colormap`'s colours, opaque (the canvas's opacity blends it over the image); the PNGs of `localize.maps` use the same table. */
export function mapRgba(values: readonly number[], colormap: HeatmapColormap = 'jet'): Uint8ClampedArray<ArrayBuffer> {
  const lut = Array.from({ length: 256 }, (_, v) => colormapRgb(colormap, v / 255));
  const data = new Uint8ClampedArray(values.length * 4);
  values.forEach((v, i) => {
    const c = lut[Math.max(0, Math.min(255, Math.round(v)))]!;
    data.set([c[0], c[1], c[2], 255], i * 4);
  });
  return data;
}

/** SPG stage mask values and their colours: 0 background (blue), 1 ignored (gray), 2 object (red). */
export const STAGE_COLORS: Record<number, [number, number, number]> = { 0: [40, 90, 200], 1: [150, 150, 150], 2: [220, 50, 40] };
export const STAGE_NAMES = ['background', 'ignored', 'object'] as const;

export function stageRgba(mask: readonly number[]): Uint8ClampedArray<ArrayBuffer> {
  const data = new Uint8ClampedArray(mask.length * 4);
  mask.forEach((v, i) => {
    const c = STAGE_COLORS[v] ?? [0, 0, 0];
    data.set([c[0], c[1], c[2], 255], i * 4);
  });
  return data;
}

/** Pixels per value of a stage mask: [background, ignored, object]. */
export function stageCounts(mask: readonly number[]): [number, number, number] {
  const n: [number, number, number] = [0, 0, 0];
  for (const v of mask) if (v === 0 || v === 1 || v === 2) n[v]++;
  return n;
}

/** Draws RGBA bytes on a canvas (nothing where the environment has no 2D context). */
export function paint(canvas: HTMLCanvasElement | null | undefined, data: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): void {
  const ctx = canvas?.getContext?.('2d');
  if (!ctx || data.length !== width * height * 4) return;
  ctx.putImageData(new ImageData(data, width, height), 0, 0);
}
