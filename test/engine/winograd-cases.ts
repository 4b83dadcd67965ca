/**
 * Evaluation conv cases for the native Winograd F(2x2, 3x3) path (3x3 stride-1 convs with
 * inference = 1 on conv2dEx), the addon call that runs one, and a float64 reference with an error
 * bound derived from the transformed sums. Shared by winograd.test.ts and its forced-ISA child.
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

// |B^T| d |B| and |G| g |G^T| along one axis (the magnitudes the transforms add up).
const absInput = (d: number[]): number[] => [d[0]! + d[2]!, d[1]! + d[2]!, d[1]! + d[2]!, d[1]! + d[3]!];
const absFilter = (g: number[]): number[] => [g[0]!, (g[0]! + g[1]! + g[2]!) / 2, (g[0]! + g[1]! + g[2]!) / 2, g[2]!];
// Transformed-tile positions each output of a tile sums (A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]).
const SUPPORT = [
  [0, 1, 2],
  [1, 2, 3],
];

/**
 * float64 result and, per output, a float32 error bound for the Winograd path: the products are
 * summed over ci with one rounding each (ci), the input transform adds 4 terms and the output
 * transform 9 (2 + 4 more roundings), the filter transform rounds once, the epilogue adds up to 4:
 * |error| <= (ci + 12) * 2^-24 * sum over the output's 9 positions and ci of (|B^T||d||B|)(|G||g||G^T|),
 * plus the epilogue operands' magnitudes. A wrong transform coefficient or tap is off by about
 * one term's size, far outside it.
 */
export function referenceConv(w: WinogradCase): { y: Float64Array; bound: Float64Array } {
  const d = asDirect(w);
  const g = geometry(d);
  const v = data(d, g, SEED);
  const [, h, wd, ci] = w.x;
  const { k, stride } = d;
  const px = (b: number, iy: number, ix: number, c: number): number => (iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0 : v.x[((b * h + iy) * wd + ix) * ci + c]!);
  return referenceFrame(d, g, v, ci + 12, (b, oy, ox, j) => {
    // The output's tile (2x2 outputs from a 4x4 input block) and its place in it.
    const [ty, tx, dy, dx] = [oy >> 1, ox >> 1, oy & 1, ox & 1];
    let s = 0;
    let m = 0;
    for (let c = 0; c < ci; c++) {
      for (let i = 0; i < k; i++)
        for (let jj = 0; jj < k; jj++) s += px(b, oy * stride + i - g.pt, ox * stride + jj - g.pl, c) * v.w[((i * k + jj) * ci + c) * w.co + j]!;
      if (k !== 3) continue;
      // |B^T||d||B| over the 4x4 block, |G||g||G^T| over the filter, summed over the output's support.
      const rows = [0, 1, 2, 3].map((a) => absInput([0, 1, 2, 3].map((e) => Math.abs(px(b, 2 * ty + a - g.pt, 2 * tx + e - g.pl, c)))));
      const vt = [0, 1, 2, 3].map((e) => absInput(rows.map((r) => r[e]!)));
      const frows = [0, 1, 2].map((a) => absFilter([0, 1, 2].map((e) => Math.abs(v.w[((a * 3 + e) * ci + c) * w.co + j]!))));
      const ut = [0, 1, 2, 3].map((e) => absFilter(frows.map((r) => r[e]!)));
      for (const a of SUPPORT[dy]!) for (const e of SUPPORT[dx]!) m += vt[e]![a]! * ut[e]![a]!;
    }
    return [s, m];
  });
}
