import type { Transform } from './types.ts';
import { copyThen } from './types.ts';

export interface HorizontalFlipOptions {
  p: number;
}
export interface HorizontalFlipParams {
  flip: boolean;
}

export const horizontalFlip: Transform<HorizontalFlipOptions, HorizontalFlipParams> = {
  name: 'horizontalFlip',
  title: 'Horizontal flip',
  summary: 'Mirror the image left-right with probability p.',
  params: [{ name: 'p', label: 'Probability', kind: 'number', min: 0, max: 1, step: 0.05, default: 0.5, description: 'Chance an image is flipped.' }],
  presets: {},
  random: true,
  changesShape: false,
  outputShape: (shape) => shape,
  makeParams: (rng, _shape, o) => ({ flip: rng.chance(o.p) }),
  applyInPlace(image, params) {
    if (!params.flip) return;
    const { h, w, c } = image;
    const d = image.data;
    for (let y = 0; y < h; y++) {
      const row = y * w * c;
      for (let x = 0; x < w >> 1; x++) {
        const a = row + x * c;
        const b = row + (w - 1 - x) * c;
        for (let ch = 0; ch < c; ch++) {
          const t = d[a + ch]!;
          d[a + ch] = d[b + ch]!;
          d[b + ch] = t;
        }
      }
    }
  },
  apply: (image, params) => copyThen(horizontalFlip.applyInPlace!, (p: HorizontalFlipParams) => !p.flip)(image, params),
};
