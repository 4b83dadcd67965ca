/**
 * Conv shapes that reach the AVX2 GEMM variants (gemm.cc: the fixed-row-stride 6 x 16 tiles, A rows
 * 1, 16 or 32 floats apart, and the partial tiles they leave to the general kernel; backprop-filter's
 * im2col chunk with a padded row stride), the switches that turn them off, and a float64 reference
 * for backprop-filter. Shared by gemm-avx2-isa.test.ts and its child process.
 */
import type { NativeAddon } from '../../src-main/engine/native/addon.ts';
import { randomArray } from './conv-cases.ts';
import type { ConvCaseShape } from './direct-conv-cases.ts';

export type GemmCase = ConvCaseShape;

export const AVX2_SWITCHES = ['WORKBENCH_NATIVE_AVX2_FIXED', 'WORKBENCH_NATIVE_IM2COL_PAD', 'WORKBENCH_NATIVE_AVX2_TILE_STORE', 'WORKBENCH_NATIVE_FILTER_SEGMENTS'] as const;

/**
 * The AVX-512 GEMM switches: the 14-row tiles with a run-time row stride addressed from two bases
 * (im2col rows 576 / 288 / 48 floats apart, stride-2 backprop-input's dy rows 32 apart), the
 * fixed-row-stride variants, backprop-filter without im2col and backprop-input in 16-pixel row
 * tiles; each sums in the order of the kernel it replaces.
 */
export const AVX512_SWITCHES = ['WORKBENCH_NATIVE_ROW_BASES', 'WORKBENCH_NATIVE_FIXED_STRIDE', 'WORKBENCH_NATIVE_FILTER_SEGMENTS', 'WORKBENCH_NATIVE_INPUT_ROWS16'] as const;

const c = (label: string, x: GemmCase['x'], k: number, co: number, stride: 1 | 2, pad: GemmCase['pad']): GemmCase => ({ label, x, k, co, stride, pad });
export const GEMM_CASES: GemmCase[] = [
  // ResNet stage 3 and 2 (im2col backprop-filter: A rows 1 float apart, stage 3's K = 576 with a
  // padded im2col stride; backprop-input A rows 64 / 32 apart), 9 images (> 4 per thread).
  c('stage3 3x3 64->64, 9x8x8', [9, 8, 8, 64], 3, 64, 1, 'same'),
  c('stage2 3x3 32->32, 9x16x16', [9, 16, 16, 32], 3, 32, 1, 'same'),
  // ResNet stage 1 (implicit backprop-filter: A rows 1 float apart; backprop-input A rows 16 apart).
  c('stage1 3x3 16->16, 9x16x17', [9, 16, 17, 16], 3, 16, 1, 'same'),
  // Rows of 32 pixels, 32 and 16 filters (AVX-512 backprop-input in 16-pixel tiles that end with the row, as stage 2's 16).
  c('3x3 16->32, 5x6x32', [5, 6, 32, 16], 3, 32, 1, 'same'),
  c('stage1 3x3 16->16, 5x6x32', [5, 6, 32, 16], 3, 16, 1, 'same'),
  // Downsampling (stride 2, K = 144) and a pointwise conv with 20 filters (K = 48, a partial 16-column panel).
  c('down 3x3 s2 16->32, 5x16x16', [5, 16, 16, 16], 3, 32, 2, 'same'),
  c('pointwise 48->20, 9x8x9', [9, 8, 9, 48], 1, 20, 1, 'valid'),
  // K = 27 (stem: a partial 6-row tile), 30 filters (A rows 30 apart in backprop-input: the general kernel).
  c('stem 3x3 3->16, 4x12x12', [4, 12, 12, 3], 3, 16, 1, 'same'),
  c('3x3 8->30 valid, 3x10x11', [3, 10, 11, 8], 3, 30, 1, 'valid'),
];

export interface Geometry {
  oh: number;
  ow: number;
  pt: number;
  pl: number;
}

export function geometry(g: GemmCase): Geometry {
  const [, h, w] = g.x;
  const out = (size: number): number => (g.pad === 'same' ? Math.ceil(size / g.stride) : Math.floor((size - g.k) / g.stride) + 1);
  const before = (size: number, o: number): number => (g.pad === 'same' ? Math.floor(Math.max((o - 1) * g.stride + g.k - size, 0) / 2) : 0);
  const [oh, ow] = [out(h), out(w)];
  return { oh, ow, pt: before(h, oh), pl: before(w, ow) };
}

export interface GemmInputs {
  x: Float32Array;
  f: Float32Array;
  dy: Float32Array;
}

export function inputs(g: GemmCase): GemmInputs {
  const [n, h, w, ci] = g.x;
  const { oh, ow } = geometry(g);
  return { x: randomArray(n * h * w * ci, 51), f: randomArray(g.k * g.k * ci * g.co, 52), dy: randomArray(n * oh * ow * g.co, 53) };
}

/**
 * conv, backprop-filter, backprop-input and backprop-input plus an addend (another gradient of x,
 * summed in the kernel) of one case on the addon (threads and switches as the caller set them).
 */
export function runGemmCase(addon: NativeAddon, g: GemmCase): Float32Array[] {
  const [n, h, w, ci] = g.x;
  const { oh, ow, pt, pl } = geometry(g);
  const { x, f, dy } = inputs(g);
  const args = [n, h, w, ci, g.k, g.k, g.co, oh, ow, g.stride, g.stride, pt, pl] as const;
  const y = new Float32Array(n * oh * ow * g.co);
  addon.conv2dEx(x, 0, f, 0, y, 0, ...args, 0, null, 0, null, 0, null, 0, null, g.co);
  const dw = new Float32Array(g.k * g.k * ci * g.co);
  addon.conv2dBackpropFilter(x, 0, dy, 0, dw, 0, ...args);
  const dx = new Float32Array(n * h * w * ci);
  addon.conv2dBackpropInput(dy, 0, f, 0, dx, 0, ...args);
  const addend = randomArray(n * h * w * ci, 54);
  const dxAdd = new Float32Array(n * h * w * ci);
  addon.conv2dBackpropInput(dy, 0, f, 0, dxAdd, 0, ...args, addend, 0);
  return [y, dw, dx, dxAdd];
}

/**
 * y = conv(x, f), dx = conv^T(dy, f) and dW = x^T dy in float64 (one pass over the conv's taps), each
 * with per-element bounds on a float32 evaluation's error: the sum of |terms| times 2^-24 times the
 * longest chain of roundings a term goes through. For y and dx: K or kh*kw*co FMAs, the epilogue's add
 * and a margin of 16. For dW: a chunk's FMA chain of up to 128, the adds over up to ceil(M / 128)
 * chunks, up to 8 groups, and a margin of 16.
 */
export function referenceConvs(g: GemmCase) {
  const [n, h, w, ci] = g.x;
  const { oh, ow, pt, pl } = geometry(g);
  const { x, f, dy } = inputs(g);
  const y = new Float64Array(n * oh * ow * g.co);
  const yAbs = new Float64Array(y.length);
  const dx = new Float64Array(n * h * w * ci);
  const dxAbs = new Float64Array(dx.length);
  const dw = new Float64Array(g.k * g.k * ci * g.co);
  const dwAbs = new Float64Array(dw.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let i = 0; i < g.k; i++)
          for (let j = 0; j < g.k; j++) {
            const iy = oy * g.stride + i - pt;
            const ix = ox * g.stride + j - pl;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const o0 = ((b * oh + oy) * ow + ox) * g.co;
            for (let c = 0; c < ci; c++) {
              const xi = ((b * h + iy) * w + ix) * ci + c;
              const f0 = ((i * g.k + j) * ci + c) * g.co;
              for (let o = 0; o < g.co; o++) {
                const t = x[xi]! * f[f0 + o]!;
                y[o0 + o]! += t;
                yAbs[o0 + o]! += Math.abs(t);
                const u = dy[o0 + o]! * f[f0 + o]!;
                dx[xi]! += u;
                dxAbs[xi]! += Math.abs(u);
                const v = x[xi]! * dy[o0 + o]!;
                dw[f0 + o]! += v;
                dwAbs[f0 + o]! += Math.abs(v);
              }
            }
          }
  const chain = g.k * g.k * Math.max(ci, g.co) + 16;
  const dwChain = 128 + Math.ceil((n * oh * ow) / 128) + 8 + 16;
  const scaled = (abs: Float64Array, c: number): Float64Array => abs.map((a) => a * c * 2 ** -24);
  return { y, yBound: scaled(yAbs, chain), dx, dxBound: scaled(dxAbs, chain), dw, dwBound: scaled(dwAbs, dwChain) };
}
