import type { Transform } from './types.ts';
import { resizeWindowBilinear } from './resample.ts';

/** torchvision's RandomResizedCrop: a random area/aspect window, resized to a fixed size. */
export interface RandomResizedCropOptions {
  size: number[];
  scale: [number, number];
  ratio: [number, number];
  attempts: number;
}

export interface RandomResizedCropParams {
  top: number;
  left: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
  /** False when no attempt fitted and the centre-crop fallback was used. */
  fitted: boolean;
}

export const randomResizedCrop: Transform<RandomResizedCropOptions, RandomResizedCropParams> = {
  name: 'randomResizedCrop',
  title: 'Random resized crop',
  summary: 'Crop a window with random area fraction and log-uniform aspect ratio, then resize it (bilinear) to a fixed size.',
  params: [
    { name: 'size', label: 'Output [h, w]', kind: 'numbers', length: 2, default: [224, 224], description: 'Size after resizing.' },
    { name: 'scale', label: 'Area fraction', kind: 'range', min: 0.001, max: 1, step: 0.01, default: [0.08, 1], description: 'Window area as a fraction of the image.' },
    { name: 'ratio', label: 'Aspect ratio (w/h)', kind: 'range', min: 0.01, max: 100, step: 0.01, default: [3 / 4, 4 / 3], description: 'Drawn log-uniformly.' },
    { name: 'attempts', label: 'Attempts', kind: 'integer', min: 1, max: 100, default: 10, description: 'Tries before falling back to a centre crop.' },
  ],
  presets: {},
  random: true,
  changesShape: true,
  check(o) {
    if (o.size.some((s) => !Number.isInteger(s) || s < 1)) return 'size must be two positive integers';
    return null;
  },
  outputShape: (shape, o) => ({ h: o.size[0]!, w: o.size[1]!, c: shape.c }),
  makeParams(rng, shape, o) {
    const area = shape.h * shape.w;
    const [outHeight, outWidth] = [o.size[0]!, o.size[1]!];
    for (let i = 0; i < o.attempts; i++) {
      const target = area * rng.uniform(o.scale[0], o.scale[1]);
      const aspect = Math.exp(rng.uniform(Math.log(o.ratio[0]), Math.log(o.ratio[1])));
      const width = Math.round(Math.sqrt(target * aspect));
      const height = Math.round(Math.sqrt(target / aspect));
      if (width > 0 && width <= shape.w && height > 0 && height <= shape.h) {
        return { top: rng.int(0, shape.h - height), left: rng.int(0, shape.w - width), height, width, outHeight, outWidth, fitted: true };
      }
    }
    // Fallback (as torchvision): the largest centre crop whose aspect fits the ratio range.
    const inRatio = shape.w / shape.h;
    let width = shape.w;
    let height = shape.h;
    if (inRatio < o.ratio[0]) height = Math.round(width / o.ratio[0]);
    else if (inRatio > o.ratio[1]) width = Math.round(height * o.ratio[1]);
    return { top: Math.floor((shape.h - height) / 2), left: Math.floor((shape.w - width) / 2), height, width, outHeight, outWidth, fitted: false };
  },
  apply: (image, p) => resizeWindowBilinear(image, p, p.outHeight, p.outWidth),
};
