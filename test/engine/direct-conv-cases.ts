/**
 * Conv + epilogue cases on the shapes the native direct convolution takes (filter counts off a
 * multiple of 16, rows of 12+ output pixels, stride 1 or 2), the addon call that runs one, and a
 * float64 reference. Shared by direct-conv.test.ts and its AVX2 child process.
 */
import type { NativeAddon } from '../../src-main/engine/native/addon.ts';
import { randomArray } from './conv-cases.ts';

/** A conv's shape (also gemm-avx2-cases.ts' case). */
export interface ConvCaseShape {
  label: string;
  /** x [n, h, w, ci] */
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: 1 | 2;
  pad: 'same' | 'valid';
}

export interface DirectCase extends ConvCaseShape {
  /** 'spread': the kept channels spread over `width` (as pruning leaves them); 'reverse': co + 3 channels in reverse order (3 get bias + residual only) */
  /** 'interleave': even channels to 0, 1, 2 ... and odd ones to 8, 9, 10 ... of 16 (an 8-channel output block reads conv channels 8+ apart) */
  scatter?: { kind: 'spread'; width: number } | { kind: 'reverse' } | { kind: 'interleave' };
  bias?: boolean;
  map?: boolean;
  residual?: boolean;
  relu: boolean;
}

const c = (label: string, rest: Omit<DirectCase, 'label'>): DirectCase => ({ label, ...rest });
export const DIRECT_CASES: DirectCase[] = [
  // Stem: 3 input channels, 12 filters scattered to 16, no residual; two segments, the second partial.
  c('stem 12->16 scatter, batch 2, 13x20x3', { x: [2, 13, 20, 3], k: 3, co: 12, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 16 }, bias: true, relu: true }),
  // Block tails: scatter + constant-input map + residual + ReLU, one, two and three channel tiles.
  c('tail 12->16, batch 3, 12x17x12', { x: [3, 12, 17, 12], k: 3, co: 12, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 16 }, bias: true, map: true, residual: true, relu: true }),
  c('tail 23->32, batch 1, 9x33x23', { x: [1, 9, 33, 23], k: 3, co: 23, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 32 }, bias: true, map: true, residual: true, relu: true }),
  c('tail 45->64 no ReLU, batch 2, 8x14x45', { x: [2, 8, 14, 45], k: 3, co: 45, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 64 }, bias: true, map: true, residual: true, relu: false }),
  c('reverse scatter 19->22, k4 valid, batch 2, 7x16x5', { x: [2, 7, 16, 5], k: 4, co: 19, stride: 1, pad: 'valid', scatter: { kind: 'reverse' }, bias: true, residual: true, relu: true }),
  c('scatter without bias or residual, 11->17, batch 1', { x: [1, 6, 12, 7], k: 3, co: 11, stride: 1, pad: 'same', scatter: { kind: 'reverse' }, map: true, relu: false }),
  // Batches of 4+ (AVX2 fuses the epilogue from 4 images on).
  c('tail 12->16, batch 4, 6x13x12', { x: [4, 6, 13, 12], k: 3, co: 12, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 16 }, bias: true, map: true, residual: true, relu: true }),
  c('reverse scatter 9->12 + map, batch 5, 5x12x4', { x: [5, 5, 12, 4], k: 3, co: 9, stride: 1, pad: 'same', scatter: { kind: 'reverse' }, bias: true, map: true, residual: true, relu: false }),
  c('tail 23->32, batch 4, 5x19x23', { x: [4, 5, 19, 23], k: 3, co: 23, stride: 1, pad: 'same', scatter: { kind: 'spread', width: 32 }, bias: true, map: true, residual: true, relu: true }),
  c('reverse scatter 13->16, batch 4, 4x12x11', { x: [4, 4, 12, 11], k: 3, co: 13, stride: 1, pad: 'same', scatter: { kind: 'reverse' }, bias: true, map: true, residual: true, relu: true }),
  c('interleaved scatter 10->16, batch 4, 3x14x8', { x: [4, 3, 14, 8], k: 3, co: 10, stride: 1, pad: 'same', scatter: { kind: 'interleave' }, bias: true, residual: true, relu: true }),
  c('stride 2, scatter 12->16, batch 4, 8x26x9', { x: [4, 8, 26, 9], k: 3, co: 12, stride: 2, pad: 'same', scatter: { kind: 'spread', width: 16 }, bias: true, map: true, residual: true, relu: false }),
  c('bias + ReLU 22, batch 4, 6x34x16', { x: [4, 6, 34, 16], k: 3, co: 22, stride: 1, pad: 'same', bias: true, relu: true }),
  c('bias + map + residual + ReLU 13, batch 4, 4x17x6', { x: [4, 4, 17, 6], k: 3, co: 13, stride: 1, pad: 'same', bias: true, map: true, residual: true, relu: true }),
  // No scatter: bias (+ map + residual) applied in the same pass.
  c('bias + ReLU 12, batch 2, 10x18x16', { x: [2, 10, 18, 16], k: 3, co: 12, stride: 1, pad: 'same', bias: true, relu: true }),
  c('bias + map + residual + ReLU 23, batch 2, 9x16x9', { x: [2, 9, 16, 9], k: 3, co: 23, stride: 1, pad: 'same', bias: true, map: true, residual: true, relu: true }),
  c('residual only 5, k7, batch 1, 8x21x4', { x: [1, 8, 21, 4], k: 7, co: 5, stride: 1, pad: 'same', residual: true, relu: false }),
  // Stride 2 (downsampling convs): even and odd sizes, 'same' (asymmetric padding) and 'valid'.
  c('stride 2, 23 bias + ReLU, batch 2, 32x32x16', { x: [2, 32, 32, 16], k: 3, co: 23, stride: 2, pad: 'same', bias: true, relu: true }),
  c('stride 2, 12, valid, batch 1, 25x27x5', { x: [1, 25, 27, 5], k: 3, co: 12, stride: 2, pad: 'valid', bias: true, relu: false }),
  c('stride 2, k4 same, 45 map + residual, batch 3, 9x30x6', { x: [3, 9, 30, 6], k: 4, co: 45, stride: 2, pad: 'same', bias: true, map: true, residual: true, relu: true }),
  c('stride 2, scatter 23->32 + residual, batch 2, 11x33x8', { x: [2, 11, 33, 8], k: 3, co: 23, stride: 2, pad: 'same', scatter: { kind: 'spread', width: 32 }, bias: true, map: true, residual: true, relu: true }),
  c('stride 2, plain conv 7, k5 valid, batch 2, 12x31x3', { x: [2, 12, 31, 3], k: 5, co: 7, stride: 2, pad: 'valid', relu: false }),
];

/** Output size, padding before, output row width and scatter indices of a case (shared with winograd-cases.ts). */
export interface Geometry {
  oh: number;
  ow: number;
  pt: number;
  pl: number;
  channels: number;
  indices: Int32Array | null;
}

export function geometry(d: DirectCase): Geometry {
  const [, h, w] = d.x;
  const out = (size: number): number => (d.pad === 'same' ? Math.ceil(size / d.stride) : Math.floor((size - d.k) / d.stride) + 1);
  const before = (size: number, o: number): number => (d.pad === 'same' ? Math.floor(Math.max((o - 1) * d.stride + d.k - size, 0) / 2) : 0);
  const [oh, ow] = [out(h), out(w)];
  let indices: Int32Array | null = null;
  let channels = d.co;
  if (d.scatter?.kind === 'spread') {
    channels = d.scatter.width;
    indices = Int32Array.from({ length: d.co }, (_, j) => Math.floor((j * channels) / d.co));
  } else if (d.scatter?.kind === 'interleave') {
    channels = 16;
    indices = Int32Array.from({ length: d.co }, (_, j) => (j % 2) * 8 + (j >> 1));
  } else if (d.scatter?.kind === 'reverse') {
    channels = d.co + 3;
    indices = Int32Array.from({ length: d.co }, (_, j) => channels - 1 - j);
  }
  return { oh, ow, pt: before(h, oh), pl: before(w, ow), channels, indices };
}

/** The case's x, filter, bias, constant-input map and residual, from seeds `seed` to `seed + 4`. */
export function data(d: DirectCase, g: Geometry, seed = 41) {
  const [n, , , ci] = d.x;
  return {
    x: randomArray(d.x.reduce((a, b) => a * b, 1), seed),
    w: randomArray(d.k * d.k * ci * d.co, seed + 1),
    bias: d.bias ? randomArray(g.channels, seed + 2) : null,
    map: d.map ? randomArray(g.oh * g.ow * d.co, seed + 3) : null,
    residual: d.residual ? randomArray(n * g.oh * g.ow * g.channels, seed + 4) : null,
  };
}

/** The case on the addon's conv2dEx (whatever path the switches in process.env choose). */
export function runDirectCase(addon: NativeAddon, d: DirectCase): Float32Array {
  const g = geometry(d);
  const v = data(d, g);
  const [n, h, w, ci] = d.x;
  const y = new Float32Array(n * g.oh * g.ow * g.channels);
  addon.conv2dEx(v.x, 0, v.w, 0, y, 0, n, h, w, ci, d.k, d.k, d.co, g.oh, g.ow, d.stride, d.stride, g.pt, g.pl, d.relu ? 1 : 0, v.bias, 0, v.map, 0, v.residual, 0, g.indices, g.channels);
  return y;
}

/**
 * The float64 reference's frame, shared by the direct-conv and Winograd cases: per output pixel each
 * channel starts from bias and residual, filter j adds its map value and `products(b, oy, ox, j)`
 * ([sum, the magnitude its float32 error scales with]) at its scattered channel, relu ends it;
 * bound = magnitude x terms x 2^-24.
 */
export function referenceFrame(
  d: DirectCase,
  g: Geometry,
  v: ReturnType<typeof data>,
  terms: number,
  products: (b: number, oy: number, ox: number, j: number) => [number, number],
): { y: Float64Array; bound: Float64Array } {
  const n = d.x[0];
  const cw = g.channels;
  const y = new Float64Array(n * g.oh * g.ow * cw);
  const bound = new Float64Array(y.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        const p = (b * g.oh + oy) * g.ow + ox;
        const pix = oy * g.ow + ox;
        const acc = new Float64Array(cw);
        const mag = new Float64Array(cw);
        for (let c = 0; c < cw; c++) {
          acc[c] = (v.bias?.[c] ?? 0) + (v.residual?.[p * cw + c] ?? 0);
          mag[c] = Math.abs(v.bias?.[c] ?? 0) + Math.abs(v.residual?.[p * cw + c] ?? 0);
        }
        for (let j = 0; j < d.co; j++) {
          const mapped = v.map?.[pix * d.co + j] ?? 0;
          const [s, m] = products(b, oy, ox, j);
          const to = g.indices ? g.indices[j]! : j;
          acc[to] += mapped + s;
          mag[to] += Math.abs(mapped) + m;
        }
        for (let c = 0; c < cw; c++) {
          y[p * cw + c] = d.relu ? Math.max(0, acc[c]!) : acc[c]!;
          bound[p * cw + c] = mag[c]! * terms * 2 ** -24;
        }
      }
  return { y, bound };
}

/** float64 result and, per output, the sum of the magnitudes of its terms times their count (a float32 error bound's scale). */
export function referenceConv(d: DirectCase): { y: Float64Array; bound: Float64Array } {
  const g = geometry(d);
  const v = data(d, g);
  const [, h, w, ci] = d.x;
  return referenceFrame(d, g, v, d.k * d.k * ci + 4, (b, oy, ox, j) => {
    let s = 0;
    let m = 0;
    for (let i = 0; i < d.k; i++) {
      const iy = oy * d.stride + i - g.pt;
      if (iy < 0 || iy >= h) continue;
      for (let jj = 0; jj < d.k; jj++) {
        const ix = ox * d.stride + jj - g.pl;
        if (ix < 0 || ix >= w) continue;
        for (let c = 0; c < ci; c++) {
          const t = v.x[((b * h + iy) * w + ix) * ci + c]! * v.w[((i * d.k + jj) * ci + c) * d.co + j]!;
          s += t;
          m += Math.abs(t);
        }
      }
    }
    return [s, m];
  });
}
