import type { Transform } from './types.ts';
import { resizeWindowBilinear } from './resample.ts';

export interface ResizeOptions {
  size: number[];
}
export interface ResizeParams {
  height: number;
  width: number;
}

export const resize: Transform<ResizeOptions, ResizeParams> = {
  name: 'resize',
  title: 'Resize',
  summary: 'Resize the whole image (bilinear) to [h, w].',
  params: [{ name: 'size', label: 'Size [h, w]', kind: 'numbers', length: 2, default: [32, 32], description: 'Output height and width.' }],
  presets: {},
  random: false,
  changesShape: true,
  check(o) {
    if (o.size.some((s) => !Number.isInteger(s) || s < 1)) return 'size must be two positive integers';
    return null;
  },
  outputShape: (shape, o) => ({ h: o.size[0]!, w: o.size[1]!, c: shape.c }),
  makeParams: (_rng, _shape, o) => ({ height: o.size[0]!, width: o.size[1]! }),
  apply(image, p) {
    if (p.height === image.h && p.width === image.w) return image;
    return resizeWindowBilinear(image, { top: 0, left: 0, height: image.h, width: image.w }, p.height, p.width);
  },
};
