import type { Transform } from './types.ts';
import { copyThen } from './types.ts';
import { Rng } from '../../common/random.ts';

/** Random Erasing (Zhong et al., arXiv 1708.04896); options as in methods.md section 3. */
export interface RandomErasingOptions {
  preset: 'paper' | 'torchvision';
  p: number;
  area: [number, number];
  /** Aspect ratio range [r1, 1/r1] (paper) or (0.3, 3.3) (torchvision). */
  aspect: [number, number];
  /** 'uniform' (paper) or 'log-uniform' (torchvision) aspect draws. */
  aspectDraw: 'uniform' | 'log-uniform';
  attempts: number;
  fill: 'random' | 'constant' | 'zero' | 'normal';
  /** Per-channel constant for fill 'constant' (e.g. the dataset mean), one value broadcasts. */
  value: number[];
  /** Range of per-pixel uniform values for fill 'random', in pixel units (0..255). */
  randomRange: [number, number];
  /**
   * Set by the pipeline (not a user option) when a normalize step runs before
   * this one: random fill values are drawn in pixel units and then normalised
   * the same way, so "random pixels" stay random pixels after normalisation.
   */
  fillNormalize?: { mean: number[]; std: number[]; scale: number } | null;
}

export type RandomErasingParams =
  | { erase: false; attempts: number }
  | {
      erase: true;
      /** The erased box in pixels of the image the step saw. */
      top: number;
      left: number;
      height: number;
      width: number;
      attempts: number;
      fill: RandomErasingOptions['fill'];
      value: number[];
      randomRange: [number, number];
      /** Seeds the per-pixel fill values, so apply() stays a pure function of params. */
      fillSeed: number;
      /** Normalisation applied to 'random' fill values (present when erasing runs after normalize). */
      fillNormalize: { mean: number[]; std: number[]; scale: number } | null;
    };

export const randomErasing: Transform<RandomErasingOptions, RandomErasingParams> = {
  name: 'randomErasing',
  title: 'Random Erasing',
  summary: 'With probability p, fill one random rectangle (area fraction and aspect drawn) with noise or a constant.',
  params: [
    { name: 'preset', label: 'Preset', kind: 'enum', options: ['paper', 'torchvision'], default: 'paper', description: 'Fills the options below that are not set.' },
    { name: 'p', label: 'Probability', kind: 'number', min: 0, max: 1, step: 0.05, default: 0.5, description: 'Chance an image is erased.' },
    { name: 'area', label: 'Area fraction [sl, sh]', kind: 'range', min: 0, max: 1, step: 0.01, default: [0.02, 0.4], description: 'Erased area as a fraction of the image.' },
    { name: 'aspect', label: 'Aspect ratio', kind: 'range', min: 0.01, max: 100, step: 0.05, default: [0.3, 1 / 0.3], description: 'Height/width ratio range [r1, 1/r1].' },
    { name: 'aspectDraw', label: 'Aspect draw', kind: 'enum', options: ['uniform', 'log-uniform'], default: 'uniform', description: 'Paper: uniform; torchvision: log-uniform.' },
    { name: 'attempts', label: 'Attempts', kind: 'integer', min: 1, max: 1000, default: 100, description: 'Tries to fit a box before giving up (image unchanged).' },
    { name: 'fill', label: 'Fill', kind: 'enum', options: ['random', 'constant', 'zero', 'normal'], default: 'random', description: 'Per-pixel uniform, per-channel constant, zero, or per-pixel standard normal.' },
    { name: 'value', label: 'Constant (per channel)', kind: 'numbers', length: null, default: [0], description: "Fill 'constant': one value per channel (e.g. the dataset mean) or one for all." },
    { name: 'randomRange', label: 'Random range', kind: 'range', min: -1000, max: 1000, step: 1, default: [0, 255], description: "Fill 'random': per-pixel uniform range in pixel units; after a normalize step the values are normalised the same way." },
  ],
  presets: {
    paper: { p: 0.5, area: [0.02, 0.4], aspect: [0.3, 1 / 0.3], aspectDraw: 'uniform', attempts: 100, fill: 'random' },
    torchvision: { p: 0.5, area: [0.02, 0.33], aspect: [0.3, 3.3], aspectDraw: 'log-uniform', attempts: 10, fill: 'zero' },
  },
  random: true,
  changesShape: false,
  check(o) {
    if (o.aspect[0] <= 0) return 'aspect must be positive';
    return null;
  },
  outputShape: (shape) => shape,
  makeParams(rng, shape, o) {
    if (!rng.chance(o.p)) return { erase: false, attempts: 0 };
    const imageArea = shape.h * shape.w;
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      const target = rng.uniform(o.area[0], o.area[1]) * imageArea;
      const aspect =
        o.aspectDraw === 'uniform' ? rng.uniform(o.aspect[0], o.aspect[1]) : Math.exp(rng.uniform(Math.log(o.aspect[0]), Math.log(o.aspect[1])));
      const height = Math.round(Math.sqrt(target * aspect));
      const width = Math.round(Math.sqrt(target / aspect));
      if (height < shape.h && width < shape.w && height > 0 && width > 0) {
        const top = rng.int(0, shape.h - height);
        const left = rng.int(0, shape.w - width);
        return { erase: true, top, left, height, width, attempts: attempt, fill: o.fill, value: o.value, randomRange: o.randomRange, fillSeed: rng.nextUint32(), fillNormalize: o.fillNormalize ?? null };
      }
    }
    return { erase: false, attempts: o.attempts };
  },
  applyInPlace(image, params) {
    if (!params.erase) return;
    const { w, c } = image;
    const data = image.data;
    if (params.fill === 'constant' && params.value.length !== 1 && params.value.length !== c) {
      throw new Error(`randomErasing: value has ${params.value.length} entries, the image has ${c} channels`);
    }
    const noise = new Rng(params.fillSeed);
    const [lo, hi] = params.randomRange;
    const fn = params.fillNormalize ?? null;
    const mul = new Float64Array(c).fill(1);
    const add = new Float64Array(c);
    if (fn) {
      for (let ch = 0; ch < c; ch++) {
        const mean = fn.mean.length === 1 ? fn.mean[0]! : fn.mean[ch]!;
        const std = fn.std.length === 1 ? fn.std[0]! : fn.std[ch]!;
        mul[ch] = 1 / (fn.scale * std);
        add[ch] = -mean / std;
      }
    }
    for (let y = params.top; y < params.top + params.height; y++) {
      for (let x = params.left; x < params.left + params.width; x++) {
        const base = (y * w + x) * c;
        for (let ch = 0; ch < c; ch++) {
          let v: number;
          switch (params.fill) {
            case 'random':
              v = noise.uniform(lo, hi) * mul[ch]! + add[ch]!;
              break;
            case 'normal':
              v = noise.normal();
              break;
            case 'constant':
              v = params.value.length === 1 ? params.value[0]! : params.value[ch]!;
              break;
            case 'zero':
              v = 0;
              break;
          }
          data[base + ch] = v;
        }
      }
    }
  },
  apply: (image, params) => copyThen(randomErasing.applyInPlace!, (p: RandomErasingParams) => !p.erase)(image, params),
};
