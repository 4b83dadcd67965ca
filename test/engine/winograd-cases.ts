/**
 * Evaluation conv cases for the native Winograd paths, F(2x2, 3x3) and, for pruned widths on 5-32 wide
 * maps, F(4x4, 3x3) (3x3 stride-1 convs with inference = 1 on conv2dEx), the addon call that runs one,
 * and a float64 reference with an error bound derived from each variant's transformed sums. Shared by
 * winograd.test.ts and its forced-ISA child.
 */
import type { NativeAddon } from '../../src-main/engine/native/addon.ts';
import { data, geometry, referenceFrame, type DirectCase } from './direct-conv-cases.ts';

export interface WinogradCase {
  label: string;
  /** x [n, h, w, ci] */
  x: [number, number, number, number];
  co: number;
  pad: 'same' | 'valid';
  /** kernel size and stride: 3 and 1 unless a case checks that another conv is left alone */
  k?: number;
  stride?: 1 | 2;
  /** channels of y when the conv's channels are spread over a wider row (a pruned block tail) */
  scatterWidth?: number;
  bias?: boolean;
  map?: boolean;
  residual?: boolean;
  relu: boolean;
}

const c = (label: string, rest: Omit<WinogradCase, 'label'>): WinogradCase => ({ label, ...rest });
export const WINOGRAD_CASES: WinogradCase[] = [
  // The ResNet stage widths, with the epilogues evaluation uses (bias + ReLU, block tail with a residual).
  c('16->16 bias + ReLU, batch 5, 8x8', { x: [5, 8, 8, 16], co: 16, pad: 'same', bias: true, relu: true }),
  c('32->32 tail (bias + residual + ReLU), batch 3, 16x16', { x: [3, 16, 16, 32], co: 32, pad: 'same', bias: true, residual: true, relu: true }),
  c('64->64 bias + residual, no ReLU, batch 2, 8x8', { x: [2, 8, 8, 64], co: 64, pad: 'same', bias: true, residual: true, relu: false }),
  // A batch at the default threshold of whole-vector widths (8 images).
  c('16->32 bias + ReLU, batch 8, 4x6', { x: [8, 4, 6, 16], co: 32, pad: 'same', bias: true, relu: true }),
  // Many images of a small map (tile rows of several images in one task), a pruned width.
  c('16->12 bias + ReLU, batch 128, 4x4', { x: [128, 4, 4, 16], co: 12, pad: 'same', bias: true, relu: true }),
  // Pruned widths, odd map sizes (a last tile half outside), scatter to the residual width + constant-input map.
  c('13->16 bias + ReLU, batch 1, 9x7', { x: [1, 9, 7, 13], co: 16, pad: 'same', bias: true, relu: true }),
  c('22->23 tail scattered to 32 + map, batch 2, 7x12', { x: [2, 7, 12, 22], co: 23, pad: 'same', scatterWidth: 32, bias: true, map: true, residual: true, relu: true }),
  c('45->45 tail scattered to 64 + map, batch 3, 5x6', { x: [3, 5, 6, 45], co: 45, pad: 'same', scatterWidth: 64, bias: true, map: true, residual: true, relu: true }),
  c("12->20 'valid', batch 2, 13x10", { x: [2, 13, 10, 12], co: 20, pad: 'valid', bias: true, relu: false }),
  c('17->33 plain conv, batch 1, 32x32', { x: [1, 32, 32, 17], co: 33, pad: 'same', relu: false }),
  // Pruned widths on the tile-vectorised variant: 11 input channels (a pruned stage-1 tail), maps wider
  // than 16 tiles (two tile vectors per row), many small images per task, 'valid' on an odd map.
  c('11->11 bias + ReLU, batch 9, 16x16', { x: [9, 16, 16, 11], co: 11, pad: 'same', bias: true, relu: true }),
  c('11->12 tail scattered to 16 + map, batch 4, 12x12', { x: [4, 12, 12, 11], co: 12, pad: 'same', scatterWidth: 16, bias: true, map: true, residual: true, relu: true }),
  c('13->13 ReLU only, batch 2, 5x34', { x: [2, 5, 34, 13], co: 13, pad: 'same', relu: true }),
  c("22->22 'valid' bias, batch 3, 11x9", { x: [3, 11, 9, 22], co: 22, pad: 'valid', bias: true, relu: false }),
  c('45->45 tail scattered to 64 + map, batch 12, 8x8', { x: [12, 8, 8, 45], co: 45, pad: 'same', scatterWidth: 64, bias: true, map: true, residual: true, relu: true }),
  c('22->22 map + residual, no scatter, batch 2, 9x9', { x: [2, 9, 9, 22], co: 22, pad: 'same', bias: true, map: true, residual: true, relu: true }),
  c('32->23 bias + ReLU, batch 6, 16x16', { x: [6, 16, 16, 32], co: 23, pad: 'same', bias: true, relu: true }),
  // 64 filters from the AVX2 channel-vectorised path's default threshold for them (6 images) on, an odd map.
  c('32->64 tail (bias + residual + ReLU), batch 6, 7x9', { x: [6, 7, 9, 32], co: 64, pad: 'same', bias: true, residual: true, relu: true }),
  // F(4x4, 3x3) for pruned widths: the compact ResNets' stage-1 convs and tail (32x32 maps, two tile rows
  // of 8 tiles per vector), stage 2 (16x16, four rows of 4), odd maps (last tiles and tile rows partly
  // outside), tile rows of several images in one task, and a 'valid' conv.
  c('16->11 bias + ReLU, batch 4, 32x32', { x: [4, 32, 32, 16], co: 11, pad: 'same', bias: true, relu: true }),
  c('11->12 tail scattered to 16 + map, batch 3, 32x32', { x: [3, 32, 32, 11], co: 12, pad: 'same', scatterWidth: 16, bias: true, map: true, residual: true, relu: true }),
  c('23->22 bias + residual, no ReLU, batch 5, 16x16', { x: [5, 16, 16, 23], co: 22, pad: 'same', bias: true, residual: true, relu: false }),
  c('12->13 plain conv, batch 2, 19x21', { x: [2, 19, 21, 12], co: 13, pad: 'same', relu: false }),
  c("9->14 'valid' bias + ReLU, batch 7, 13x11", { x: [7, 13, 11, 9], co: 14, pad: 'valid', bias: true, relu: true }),
  // F(4x4) on rows of 2 tiles (5-8 wide, the compact ResNets' stage 3): eight tile rows per vector,
  // counted over the batch (a group spans images), a last group partly empty, odd maps, a map taller
  // than a group (34 input rows held), the tail scattered to 64 + map (also the 5x6 and 8x8 cases above).
  c('64->45 bias + ReLU, batch 5, 8x8', { x: [5, 8, 8, 64], co: 45, pad: 'same', bias: true, relu: true }),
  c('45->45 bias + residual, no ReLU, batch 3, 6x6', { x: [3, 6, 6, 45], co: 45, pad: 'same', bias: true, residual: true, relu: false }),
  c('23->22 plain conv, batch 2, 5x7', { x: [2, 5, 7, 23], co: 22, pad: 'same', relu: false }),
  c('45->45 tail scattered to 64 + map, batch 7, 8x8', { x: [7, 8, 8, 45], co: 45, pad: 'same', scatterWidth: 64, bias: true, map: true, residual: true, relu: true }),
  c('13->12 ReLU only, batch 2, 34x6', { x: [2, 34, 6, 13], co: 12, pad: 'same', relu: true }),
  c("12->13 'valid' bias, batch 3, 9x10", { x: [3, 9, 10, 12], co: 13, pad: 'valid', bias: true, relu: false }),
  // Left on the other paths: the stem (3 input channels), 11 input channels (a pruned stage-1 tail) and a stride-2 conv.
  c('11->16 (not Winograd: 16 filters, 11 channels), batch 2, 9x7', { x: [2, 9, 7, 11], co: 16, pad: 'same', bias: true, relu: true }),
  c('80->16 (not Winograd: wider than the CIFAR ResNets), batch 1, 6x6', { x: [1, 6, 6, 80], co: 16, pad: 'same', bias: true, relu: true }),
  c('16->72 (not Winograd), batch 1, 6x6', { x: [1, 6, 6, 16], co: 72, pad: 'same', bias: true, relu: true }),
  c('stem 3->16 (not Winograd), batch 2, 12x12', { x: [2, 12, 12, 3], co: 16, pad: 'same', bias: true, relu: true }),
  c('stride 2 16->32 (not Winograd), batch 2, 16x16', { x: [2, 16, 16, 16], co: 32, pad: 'same', stride: 2, bias: true, relu: true }),
];

/** Whether the case is one the tile-vectorised variant for pruned widths takes (filters not a multiple of 16, 4+ input channels). */
export const takesPrunedWinograd = (w: WinogradCase): boolean =>
  (w.k ?? 3) === 3 && (w.stride ?? 1) === 1 && w.x[3] >= 4 && w.x[3] <= 64 && w.co <= 64 && w.co % 16 !== 0 && Math.min(w.x[1], w.x[2]) >= (w.pad === 'valid' ? 6 : 4);

/**
 * Whether the channel-vectorised path keeps a pruned width where it runs (its threshold reached):
 * filter counts that fill at least 90% of their 16-channel vectors (45 of 48; winograd_pruned_applies).
 */
export const fillsVectors = (w: WinogradCase): boolean => takesWinograd(w) && w.co % 16 !== 0 && w.co * 10 >= Math.ceil(w.co / 16) * 16 * 9;

/** Output width of a case (stride 1). */
const outWidth = (w: WinogradCase): number => (w.pad === 'same' ? w.x[2] : w.x[2] - (w.k ?? 3) + 1);
/** Whether the tile-vectorised pruned variant takes it as F(4x4, 3x3): output rows of 2 to 8 tiles of 4 (winograd_f43_pruned.cc). */
export const takesF43 = (w: WinogradCase): boolean => takesPrunedWinograd(w) && Math.ceil(outWidth(w) / 4) >= 2 && Math.ceil(outWidth(w) / 4) <= 8;
/** Whether F(4x4, 3x3) takes it with rows of 2 tiles (5-8 wide; its own batch threshold). */
export const takesF43Narrow = (w: WinogradCase): boolean => takesF43(w) && Math.ceil(outWidth(w) / 4) === 2;

/** Whether the case is one Winograd takes (on an AVX-512 CPU, with the batch thresholds at or below its batch). */
export const takesWinograd = (w: WinogradCase): boolean => (w.k ?? 3) === 3 && (w.stride ?? 1) === 1 && w.x[3] >= 12 && w.x[3] <= 64 && w.co <= 64;

/** The case as the direct conv's case shape, for the shared geometry and data (seeds 51-55). */
const asDirect = (w: WinogradCase): DirectCase => ({
  label: w.label,
  x: w.x,
  k: w.k ?? 3,
  co: w.co,
  stride: w.stride ?? 1,
  pad: w.pad,
  // Spread as pruning leaves the kept channels: increasing, injective.
  ...(w.scatterWidth ? { scatter: { kind: 'spread' as const, width: w.scatterWidth } } : {}),
  bias: w.bias,
  map: w.map,
  residual: w.residual,
  relu: w.relu,
});
const SEED = 51;

/** The case on the addon's conv2dEx; inference 1 is evaluation's call (Winograd where it applies). */
export function runWinogradCase(addon: NativeAddon, w: WinogradCase, inference: 0 | 1): Float32Array {
  const d = asDirect(w);
  const g = geometry(d);
  const v = data(d, g, SEED);
  const [n, h, wd, ci] = w.x;
  const y = new Float32Array(n * g.oh * g.ow * g.channels);
  addon.conv2dEx(v.x, 0, v.w, 0, y, 0, n, h, wd, ci, d.k, d.k, w.co, g.oh, g.ow, d.stride, d.stride, g.pt, g.pl, w.relu ? 1 : 0, v.bias, 0, v.map, 0, v.residual, 0, g.indices, g.channels, inference);
  return y;
}

// |B^T| d |B| and |G| g |G^T| along one axis (the magnitudes the transforms add up), per variant.
interface Transforms {
  /** tile output size m (F(m x m, 3x3)); the input tile is m + 2 */
  m: number;
  absInput: (d: number[]) => number[];
  absFilter: (g: number[]) => number[];
  /** |A^T|: the weight of each transformed position in each output of a tile */
  absOutput: number[][];
  /** roundings of the input transform (both axes) + filter (1) + product (1) + output transform (both axes) + epilogue (4) + 1 for second-order terms, less 1 for the ci - 1 of the sum */
  extra: number;
}
const F22: Transforms = {
  m: 2,
  absInput: (d) => [d[0]! + d[2]!, d[1]! + d[2]!, d[1]! + d[2]!, d[1]! + d[3]!],
  absFilter: (g) => [g[0]!, (g[0]! + g[1]! + g[2]!) / 2, (g[0]! + g[1]! + g[2]!) / 2, g[2]!],
  // A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
  absOutput: [
    [1, 1, 1, 0],
    [0, 1, 1, 1],
  ],
  // input 1 + 1, filter 1, product 1, output 2 + 2, epilogue 4, slack 1, less 1
  extra: 12,
};
// B^T = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
// G = [[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1]],
// A^T = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]] (winograd_f43_pruned.h).
const F43: Transforms = {
  m: 4,
  absInput: (d) => [
    4 * d[0]! + 5 * d[2]! + d[4]!,
    4 * d[1]! + 4 * d[2]! + d[3]! + d[4]!,
    4 * d[1]! + 4 * d[2]! + d[3]! + d[4]!,
    2 * d[1]! + d[2]! + 2 * d[3]! + d[4]!,
    2 * d[1]! + d[2]! + 2 * d[3]! + d[4]!,
    4 * d[1]! + 5 * d[3]! + d[5]!,
  ],
  absFilter: (g) => {
    const s = g[0]! + g[1]! + g[2]!;
    const t = g[0]! / 24 + g[1]! / 12 + g[2]! / 6;
    return [g[0]! / 4, s / 6, s / 6, t, t, g[2]!];
  },
  absOutput: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, 1, 2, 2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, 1, 8, 8, 1],
  ],
  // input 2 + 2 (at most two roundings per output and axis: fused multiply-adds), filter 1, product 1,
  // output 3 + 3, epilogue 4, slack 1, less 1
  extra: 16,
};

/**
 * float64 result and, per output, a float32 error bound for a Winograd variant (F(2x2, 3x3) unless
 * `f43`): the products are summed over ci with one rounding each (ci - 1), and the transforms and the
 * epilogue add the roundings counted in `extra`, each at most one unit roundoff of the magnitudes its
 * operands add up: |error| <= (ci + extra) * 2^-24 * sum over the output's positions p (weighted by
 * |A^T| on both axes) and ci of (|B^T||d||B|)_p (|G||g||G^T|)_p, plus the epilogue operands' magnitudes.
 * A wrong transform coefficient or tap is off by about one term's size, far outside it.
 */
export function referenceConv(w: WinogradCase, f43 = false): Reference {
  // Each case's reference is checked against several arms: computed once per case and variant (it is
  // the slow part of the Winograd tests).
  const byVariant = references.get(w) ?? new Map<boolean, Reference>();
  references.set(w, byVariant);
  const known = byVariant.get(f43);
  if (known) return known;
  const computed = computeReference(w, f43);
  byVariant.set(f43, computed);
  return computed;
}
interface Reference {
  y: Float64Array;
  bound: Float64Array;
}
const references = new WeakMap<WinogradCase, Map<boolean, Reference>>();

function computeReference(w: WinogradCase, f43: boolean): Reference {
  const t = f43 ? F43 : F22;
  const size = t.m + 2;
  const range = [...Array(size).keys()];
  const d = asDirect(w);
  const g = geometry(d);
  const v = data(d, g, SEED);
  const [, h, wd, ci] = w.x;
  const { k, stride } = d;
  const px = (b: number, iy: number, ix: number, c: number): number => (iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0 : v.x[((b * h + iy) * wd + ix) * ci + c]!);
  // |B^T||d||B| of each input block and channel and |G||g||G^T| of each filter and channel, [e * size + a]:
  // each serves many outputs (a tile's m x m, every filter), so each is computed once.
  const tilesY = Math.ceil(g.oh / t.m);
  const tilesX = Math.ceil(g.ow / t.m);
  const blockMags = new Map<number, Float64Array>();
  const blockMag = (b: number, ty: number, tx: number, c: number): Float64Array => {
    const key = ((b * tilesY + ty) * tilesX + tx) * ci + c;
    let out = blockMags.get(key);
    if (!out) {
      const rows = range.map((a) => t.absInput(range.map((e) => Math.abs(px(b, t.m * ty + a - g.pt, t.m * tx + e - g.pl, c)))));
      const vt = range.map((e) => t.absInput(rows.map((r) => r[e]!)));
      out = Float64Array.from(vt.flat());
      blockMags.set(key, out);
    }
    return out;
  };
  const filterMags = new Map<number, Float64Array>();
  const filterMag = (c: number, j: number): Float64Array => {
    const key = c * w.co + j;
    let out = filterMags.get(key);
    if (!out) {
      const frows = [0, 1, 2].map((a) => t.absFilter([0, 1, 2].map((e) => Math.abs(v.w[((a * 3 + e) * ci + c) * w.co + j]!))));
      const ut = range.map((e) => t.absFilter(frows.map((r) => r[e]!)));
      out = Float64Array.from(ut.flat());
      filterMags.set(key, out);
    }
    return out;
  };
  return referenceFrame(d, g, v, ci + t.extra, (b, oy, ox, j) => {
    // The output's tile (m x m outputs from an (m + 2) x (m + 2) input block) and its place in it.
    const [ty, tx, dy, dx] = [Math.floor(oy / t.m), Math.floor(ox / t.m), oy % t.m, ox % t.m];
    const wy = t.absOutput[dy]!;
    const wx = t.absOutput[dx]!;
    let s = 0;
    let m = 0;
    for (let c = 0; c < ci; c++) {
      for (let i = 0; i < k; i++)
        for (let jj = 0; jj < k; jj++) s += px(b, oy * stride + i - g.pt, ox * stride + jj - g.pl, c) * v.w[((i * k + jj) * ci + c) * w.co + j]!;
      if (k !== 3) continue;
      // |B^T||d||B| over the input block times |G||g||G^T| over the filter, weighted by |A^T| on both axes.
      const vt = blockMag(b, ty, tx, c);
      const ut = filterMag(c, j);
      for (let a = 0; a < size; a++) for (let e = 0; e < size; e++) m += wy[a]! * wx[e]! * vt[e * size + a]! * ut[e * size + a]!;
    }
    return [s, m];
  });
}

/**
 * The worst |got - reference| over the bound of `referenceConv(w, f43)`: at most 1 where every output is
 * within it. Throws where the lengths differ (a wrong output shape).
 */
export function worstOverBound(w: WinogradCase, got: Float32Array, f43: boolean): number {
  const { y, bound } = referenceConv(w, f43);
  if (got.length !== y.length) throw new Error(`${w.label}: ${got.length} outputs, the reference has ${y.length}`);
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(got[i]! - y[i]!) / (bound[i]! + 1e-30));
  return worst;
}
