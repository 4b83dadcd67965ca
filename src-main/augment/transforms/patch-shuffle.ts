import type { Transform } from './types.ts';
import { copyThen } from './types.ts';
import { Rng } from '../../common/random.ts';

/** PatchShuffle (Kang et al., arXiv 1707.07103): permute pixels INSIDE each n x n patch. */
export interface PatchShuffleOptions {
  n: number;
  p: number;
  /** 'image': one draw per image, pixels move with all their channels; 'channel': each channel drawn and permuted on its own. */
  mode: 'image' | 'channel';
}

export interface PatchShuffleParams {
  n: number;
  mode: 'image' | 'channel';
  /** Whether each unit was shuffled: one entry in 'image' mode, one per channel in 'channel' mode. */
  applied: boolean[];
  /** Seeds the per-patch permutations, so apply() is a pure function of params. */
  permSeed: number;
}

/** Fisher-Yates shuffle of idx[0..k). */
function shuffleInPlace(idx: Int32Array, k: number, rng: Rng): void {
  for (let i = k - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
}

export const patchShuffle: Transform<PatchShuffleOptions, PatchShuffleParams> = {
  name: 'patchShuffle',
  title: 'PatchShuffle',
  summary: 'With probability p, randomly permute the pixels inside every non-overlapping n x n patch; edges not divisible by n stay untouched.',
  params: [
    { name: 'n', label: 'Patch size n', kind: 'integer', min: 1, max: 64, default: 2, description: 'Side of the square patches (2 is typical).' },
    { name: 'p', label: 'Probability', kind: 'number', min: 0, max: 1, step: 0.05, default: 0.05, description: 'Chance an image (or channel) is shuffled.' },
    { name: 'mode', label: 'Unit', kind: 'enum', options: ['image', 'channel'], default: 'image', description: 'Per image, or per channel (feature map).' },
  ],
  presets: {},
  random: true,
  changesShape: false,
  outputShape: (shape) => shape,
  makeParams(rng, shape, o) {
    const units = o.mode === 'image' ? 1 : shape.c;
    const applied: boolean[] = [];
    for (let u = 0; u < units; u++) applied.push(rng.chance(o.p));
    return { n: o.n, mode: o.mode, applied, permSeed: rng.nextUint32() };
  },
  applyInPlace(image, params) {
    if (!params.applied.some(Boolean) || params.n < 2) return;
    const { h, w, c } = image;
    const n = params.n;
    const data = image.data;
    const rng = new Rng(params.permSeed);
    const k = n * n;
    const perm = new Int32Array(k);
    // Offset of the i-th pixel of a patch from the patch's top-left, in floats.
    const offset = new Int32Array(k);
    for (let i = 0; i < k; i++) offset[i] = (Math.floor(i / n) * w + (i % n)) * c;
    const patch = new Float32Array(k * c);
    const fullRows = Math.floor(h / n) * n;
    const fullCols = Math.floor(w / n) * n;
    // In 'image' mode one permutation moves whole pixels; in 'channel' mode each shuffled channel gets its own.
    const passes = params.mode === 'image' ? [-1] : params.applied.map((on, ch) => (on ? ch : -2)).filter((ch) => ch >= 0);
    for (const channel of passes) {
      for (let py = 0; py < fullRows; py += n) {
        for (let px = 0; px < fullCols; px += n) {
          for (let i = 0; i < k; i++) perm[i] = i;
          shuffleInPlace(perm, k, rng);
          const base = (py * w + px) * c;
          if (channel === -1) {
            for (let i = 0; i < k; i++) for (let ch = 0; ch < c; ch++) patch[i * c + ch] = data[base + offset[i]! + ch]!;
            for (let i = 0; i < k; i++) {
              const from = perm[i]! * c;
              for (let ch = 0; ch < c; ch++) data[base + offset[i]! + ch] = patch[from + ch]!;
            }
          } else {
            for (let i = 0; i < k; i++) patch[i] = data[base + offset[i]! + channel]!;
            for (let i = 0; i < k; i++) data[base + offset[i]! + channel] = patch[perm[i]!]!;
          }
        }
      }
    }
  },
  apply: (image, params) => copyThen(patchShuffle.applyInPlace!, (p: PatchShuffleParams) => !p.applied.some(Boolean) || p.n < 2)(image, params),
};
