import type { Transform } from './types.ts';
import { copyThen } from './types.ts';

/** (x / scale - mean) / std per channel; pixels enter as 0..255, so scale 255 matches torchvision's ToTensor + Normalize. */
export interface NormalizeOptions {
  mean: number[];
  std: number[];
  scale: number;
}
export type NormalizeParams = NormalizeOptions;

export const normalize: Transform<NormalizeOptions, NormalizeParams> = {
  name: 'normalize',
  title: 'Normalize',
  summary: 'Per-channel (x / scale - mean) / std. Steps after it see normalised values.',
  params: [
    { name: 'mean', label: 'Mean (per channel)', kind: 'numbers', length: null, default: [0.4914, 0.4822, 0.4465], description: 'In units of x / scale; one value broadcasts.' },
    { name: 'std', label: 'Std (per channel)', kind: 'numbers', length: null, default: [0.247, 0.2435, 0.2616], description: 'In units of x / scale; one value broadcasts.' },
    { name: 'scale', label: 'Scale', kind: 'number', min: 0.001, max: 65535, step: 1, default: 255, description: 'Divide by this first (255 maps pixels to 0..1).' },
  ],
  presets: {
    cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], scale: 255 },
    imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255 },
    fashionMnist: { mean: [0.2860], std: [0.3530], scale: 255 },
  },
  random: false,
  changesShape: false,
  check(o) {
    if (o.std.some((s) => s === 0)) return 'std must not contain 0';
    return null;
  },
  outputShape: (shape) => shape,
  makeParams: (_rng, _shape, o) => ({ mean: o.mean, std: o.std, scale: o.scale }),
  applyInPlace(image, p) {
    const { c } = image;
    for (const [name, list] of [['mean', p.mean], ['std', p.std]] as const) {
      if (list.length !== 1 && list.length !== c) throw new Error(`normalize: ${name} has ${list.length} values, the image has ${c} channels`);
    }
    const mul = new Float64Array(c);
    const add = new Float64Array(c);
    for (let ch = 0; ch < c; ch++) {
      const mean = p.mean.length === 1 ? p.mean[0]! : p.mean[ch]!;
      const std = p.std.length === 1 ? p.std[0]! : p.std[ch]!;
      mul[ch] = 1 / (p.scale * std);
      add[ch] = -mean / std;
    }
    const d = image.data;
    if (c === 3) {
      // Unrolled for the common RGB case (a third of the time of the generic loop).
      const [m0, m1, m2, a0, a1, a2] = [mul[0]!, mul[1]!, mul[2]!, add[0]!, add[1]!, add[2]!];
      for (let i = 0; i < d.length; i += 3) {
        d[i] = d[i]! * m0 + a0;
        d[i + 1] = d[i + 1]! * m1 + a1;
        d[i + 2] = d[i + 2]! * m2 + a2;
      }
      return;
    }
    for (let i = 0; i < d.length; i += c) for (let ch = 0; ch < c; ch++) d[i + ch] = d[i + ch]! * mul[ch]! + add[ch]!;
  },
  apply: (image, p) => copyThen(normalize.applyInPlace!, () => false)(image, p),
};
