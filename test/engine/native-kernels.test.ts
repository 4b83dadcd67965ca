/**
 * The native CPU kernels (src-main/engine/native) against the cpu backend's
 * reference kernels, on random inputs over a grid of conv shapes, plus a
 * small conv+BN+ReLU network's gradients and a leak check.
 *
 * When the addon was not built: under CI this FAILS with the reason (CI has a
 * C++ compiler, so a missing addon is a build defect); elsewhere it is skipped.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { loadNativeAddon, nativeAddonReason, registerNativeKernels } from '../../src-main/engine/native/native-kernels.ts';
import { batchNormReluTrainBackward, batchNormTrain, batchNormTrainForward } from '../../src-main/engine/ops/batch-norm.ts';
import { CONV_TAIL, convTail } from '../../src-main/engine/ops/conv-tail.ts';
import { ADAM_UPDATE, fusedAdam } from '../../src-main/engine/ops/adam.ts';
import { REFLECT_PAD_GRAD, reflectPad } from '../../src-main/engine/ops/reflect-pad.ts';
import { INSTANCE_NORM, instanceNormAct } from '../../src-main/engine/ops/instance-norm.ts';
import { instanceNormReference } from '../../src-main/nn/layers.ts';
import { reluGrad } from '../../src-main/engine/ops/relu-grad.ts';
import { RELU_GRAD, reluGradKernel } from '../../src-main/engine/kernels/relu-grad.ts';
import { caseGrid, randomArray, type Case } from './conv-cases.ts';
import { nativeKernels } from '../../src-main/engine/native/kernels/index.ts';
import { BN_RELU_GRAD, BN_SCALE_SHIFT_RELU } from '../../src-main/engine/kernels/batch-norm-kernels.ts';
import { nativeKernelConfigs } from '../../src-main/engine/native/native-kernels.ts';
import { tensorBits } from './wasm-native.ts';

const addon = loadNativeAddon();
if (!addon && process.env.CI) throw new Error(`native kernels are required under CI: ${nativeAddonReason()}`);
if (!addon) process.stdout.write(`native-kernels.test: skipped, ${nativeAddonReason()}\n`);

const cases = caseGrid((k, stride, pad) => [
  // Odd/even sizes (stride 2 over an odd size leaves pixels unused); channel counts off the
  // vector width (3, 5, 17, 19) and batch 1 and > 1; co 19 and 33 span partial 16-wide panels.
  { x: [2, 9, 9, 3], k, co: 19, stride, pad },
  { x: [1, 8, 10, 17], k, co: 5, stride, pad },
  { x: [3, 7, 6, 5], k, co: 33, stride, pad },
  // co 16 = exactly one packed panel (backprop-filter then uses dy in place).
  { x: [2, 7, 6, 16], k, co: 16, stride, pad },
  // Rows of 12+ pixels with filter counts off 16: stride 1 takes the direct (pixel-vectorised)
  // path there, with a partial 16-pixel segment (20, 33) and one or two channel tiles (12, 23).
  { x: [2, 8, 20, 7], k, co: 12, stride, pad },
  { x: [1, 7, 33, 17], k, co: 23, stride, pad },
  // Rows of 12+ pixels with filter counts on the 16-wide panels: stride 1 runs the implicit GEMM
  // (no im2col; padded image, dropped pixels at the row ends), one panel and three (partial) ones.
  { x: [2, 9, 14, 5], k, co: 16, stride, pad },
  { x: [1, 6, 16, 3], k, co: 35, stride, pad },
]);

/** y, dx, dw of conv2d and conv2dTranspose (Conv2DBackpropInput run forward) on the active backend. */
function convResults(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array, dyShape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, [c.k, c.k, c.x[3], c.co]);
    const dyt = tf.tensor4d(dy, dyShape as [number, number, number, number]);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    const y = f(xt, wt);
    const [dx, dw] = tf.grads(f)([xt, wt], dyt);
    const t = tf.conv2dTranspose(dyt, wt, c.x, c.stride, c.pad);
    return [y, dx!, dw!, t].map((r) => r.dataSync() as Float32Array);
  });
}

async function onBackend<T>(name: string, body: () => T): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(name);
  try {
    return body();
  } finally {
    await tf.setBackend(before);
  }
}

/**
 * Float32 tolerance: both sides sum K products in float32 in their own order;
 * recursive summation errs by at most K*eps*sum|terms| (Higham, eq. 4.4), so two
 * implementations differ by at most 2*K*eps*sum|terms|, where sum|terms| per
 * element is the same computation on |inputs| (`bound`). Returns the worst
 * |error| / tolerance (<= 1 passes).
 */
function worstRatio(actual: Float32Array, expected: Float32Array, bound: Float32Array, terms: number): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const tol = 2 * terms * 2 ** -23 * bound[i]! + 1e-6;
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / tol);
  }
  return worst;
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

describe.skipIf(!addon)('native CPU kernels', () => {
  beforeAll(async () => {
    const info = await initEngine({ backend: 'wasm' });
    expect(info.backend).toBe('wasm');
    // Explicit (idempotent) so the test does not depend on WORKBENCH_NATIVE in the environment.
    expect(registerNativeKernels(2)).toMatch(/^native kernels: (avx512f|avx2|generic), 2 threads$/);
  });

  // Filters whose packed form outgrows L2 (K > 512, > 1 MiB) take the K-blocked im2col path
  // (kernels/conv2d_ex.cc): a 3x3 conv and its backprop-input, a pointwise conv.
  const blockedCases: Case[] = [
    { x: [1, 4, 5, 128], k: 3, co: 256, stride: 1, pad: 'same' },
    { x: [1, 4, 3, 96], k: 3, co: 384, stride: 1, pad: 'valid' },
    { x: [1, 6, 5, 1024], k: 1, co: 300, stride: 1, pad: 'valid' },
  ];
  it.each([...cases, ...blockedCases].map((c) => [`x ${c.x.join('x')} k${c.k} co${c.co} s${c.stride} ${typeof c.pad === 'string' ? c.pad : 'explicit'}`, c] as const))(
    'conv2d, backprop-filter, backprop-input match cpu: %s',
    async (_name, c) => {
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.co]) as tf.Tensor4D, c.stride, c.pad).shape);
      const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
      const x = randomArray(size(c.x), 1);
      const w = randomArray(c.k * c.k * c.x[3] * c.co, 2);
      const dy = randomArray(size(yShape), 3);
      const native = await onBackend('wasm', () => convResults(c, x, w, dy, yShape));
      const reference = await onBackend('cpu', () => convResults(c, x, w, dy, yShape));
      const bounds = await onBackend('cpu', () => convResults(c, abs(x), abs(w), abs(dy), yShape));
      // Terms per sum: y and conv2dTranspose/dx sum k*k*ci resp. k*k*co products; dw sums n*oh*ow.
      const terms = [c.k * c.k * c.x[3], c.k * c.k * c.co, size(yShape) / c.co, c.k * c.k * c.co];
      for (let i = 0; i < 4; i++) expect(worstRatio(native[i]!, reference[i]!, bounds[i]!, terms[i]!), `output ${i}`).toBeLessThanOrEqual(1);
    },
  );

  const pick = (k: number, stride: number, pad: string, co: number): Case =>
    cases.find((c) => c.k === k && c.stride === stride && (typeof c.pad === 'string' ? c.pad : 'explicit') === pad && c.co === co)!;
  it.each([
    ['k3 s1 same co19, bias, relu', pick(3, 1, 'same', 19), 'relu', 'vector'],
    ['k3 s2 explicit co33, bias, linear', pick(3, 2, 'explicit', 33), 'linear', 'vector'],
    ['k1 s1 valid co16, no bias, relu', pick(1, 1, 'valid', 16), 'relu', 'none'],
    ['k3 s1 valid co19, elu (replaced kernel)', pick(3, 1, 'valid', 19), 'elu', 'vector'],
  ] as const)('FusedConv2D matches cpu: %s', async (_name, c, activation, biasKind) => {
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    const x = randomArray(size(c.x), 11);
    const w = randomArray(c.k * c.k * c.x[3] * c.co, 12);
    const bias = randomArray(c.co, 13);
    const run = (xs: Float32Array, ws: Float32Array, bs: Float32Array): Float32Array =>
      tf.tidy(() => {
        const b = biasKind === 'none' ? undefined : tf.tensor1d(bs);
        const filter = tf.tensor4d(ws, [c.k, c.k, c.x[3], c.co]);
        return tf.fused.conv2d({ x: tf.tensor4d(xs, c.x), filter, strides: c.stride, pad: c.pad, bias: b, activation }).dataSync() as Float32Array;
      });
    const native = await onBackend('wasm', () => run(x, w, bias));
    const reference = await onBackend('cpu', () => run(x, w, bias));
    const bound = await onBackend('cpu', () =>
      tf.tidy(() => {
        const b = biasKind === 'none' ? undefined : tf.tensor1d(abs(bias));
        const y = tf.conv2d(tf.tensor4d(abs(x), c.x), tf.tensor4d(abs(w), [c.k, c.k, c.x[3], c.co]), c.stride, c.pad);
        return (b ? tf.add(y, b) : y).dataSync() as Float32Array;
      }),
    );
    // k*k*ci products plus the bias per output; ReLU/ELU do not grow the error.
    expect(worstRatio(native, reference, bound, c.k * c.k * c.x[3] + 1)).toBeLessThanOrEqual(1);
  });

  // The fused conv epilogue (engine/ops/conv-tail.ts) against the same op composed of ordinary
  // kernels on cpu: every combination of bias, constant map, scatter (to a wider, permuted
  // channel set, as hard-pruned blocks use), residual and ReLU, over strides and pointwise convs.
  const tailCases: [string, Case, { bias: boolean; map: boolean; scatter: boolean; residual: boolean; relu: boolean }][] = [];
  for (const c of [pick(3, 1, 'same', 19), pick(3, 2, 'explicit', 33), pick(1, 1, 'valid', 5), pick(3, 1, 'valid', 16)])
    for (const scatter of [false, true])
      for (const [bias, map, residual, relu] of [
        [true, false, true, true],
        [true, true, true, false],
        [false, true, false, true],
        [true, true, false, false],
        [false, false, true, true],
      ] as const)
        tailCases.push([`${c.k}x${c.k} s${c.stride} co${c.co} ${JSON.stringify({ bias, map, scatter, residual, relu })}`, c, { bias, map, scatter, residual, relu }]);
  it.each(tailCases)(`${CONV_TAIL} matches the composed ops on cpu: %s`, async (_name, c, o) => {
    const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
    const out = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.co]) as tf.Tensor4D, c.stride, c.pad).shape);
    // Scatter to co + 3 channels in reverse order: three output channels get bias + residual only.
    const channels = o.scatter ? c.co + 3 : c.co;
    const indices = Array.from({ length: c.co }, (_, j) => channels - 1 - j);
    const data = {
      x: randomArray(size(c.x), 31),
      w: randomArray(c.k * c.k * c.x[3] * c.co, 32),
      bias: randomArray(channels, 33),
      map: randomArray(out[1] * out[2] * c.co, 34),
      residual: randomArray(out[0] * out[1] * out[2] * channels, 35),
    };
    const run = (d: typeof data, relu: boolean): Float32Array =>
      tf.tidy(() =>
        convTail({
          x: tf.tensor4d(d.x, c.x),
          filter: tf.tensor4d(d.w, [c.k, c.k, c.x[3], c.co]),
          strides: c.stride,
          pad: c.pad,
          bias: o.bias ? tf.tensor1d(d.bias) : undefined,
          addMap: o.map ? tf.tensor4d(d.map, [1, out[1], out[2], c.co]) : undefined,
          residual: o.residual ? tf.tensor4d(d.residual, [out[0], out[1], out[2], channels]) : undefined,
          scatter: o.scatter ? { indices, channels } : undefined,
          relu,
        }).dataSync() as Float32Array,
      );
    const native = await onBackend('wasm', () => {
      expect(tf.getKernel(CONV_TAIL, 'wasm')).toBeDefined();
      return run(data, o.relu);
    });
    const reference = await onBackend('cpu', () => {
      expect(tf.getKernel(CONV_TAIL, 'cpu')).toBeUndefined(); // so this side is the composed ops
      return run(data, o.relu);
    });
    const bound = await onBackend('cpu', () => run({ x: abs(data.x), w: abs(data.w), bias: abs(data.bias), map: abs(data.map), residual: abs(data.residual) }, false));
    expect(native.length).toBe(out[0] * out[1] * out[2] * channels);
    // k*k*ci products plus up to three added terms per output.
    expect(worstRatio(native, reference, bound, c.k * c.k * c.x[3] + 3)).toBeLessThanOrEqual(1);
  });

  it('the kernel registries agree: every TypeScript wrapper calls a kernel the addon exports, and every exported kernel has a wrapper', () => {
    const exported = addon!.info().kernels;
    expect(new Set(exported).size).toBe(exported.length);
    for (const name of exported) expect(typeof (addon as unknown as Record<string, unknown>)[name], name).toBe('function');
    expect([...new Set(nativeKernels.map((k) => k.addonFunction))].sort()).toEqual([...exported].sort());
    // Each TF.js kernel name is provided once.
    const names = nativeKernelConfigs(addon!, 'wasm', () => undefined).map((c) => c.kernelName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['Conv2D', 'FusedConv2D', CONV_TAIL, 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Add', 'Multiply', 'Sub', 'Relu']));
  });

  it(`${CONV_TAIL} runs as one kernel on wasm and its malformed arguments are refused by the addon`, async () => {
    await tf.setBackend('wasm');
    const [x, filter, residual] = [tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 3]) as tf.Tensor4D, tf.ones([1, 4, 4, 5]) as tf.Tensor4D];
    let y: tf.Tensor4D | undefined;
    const profile = await tf.profile(() => {
      y = convTail({ x, filter, strides: 1, pad: 'same', residual, scatter: { indices: [0, 2, 4], channels: 5 }, relu: true });
    });
    expect(profile.kernels.map((k) => k.name)).toEqual([CONV_TAIL]);
    // Channels 1 and 3 carry only the residual (1); the others at the corner pixel sum 2 channels x 4 taps + 1.
    expect((y!.arraySync() as number[][][][])[0]![0]![0]).toEqual([9, 1, 9, 1, 9]);
    tf.dispose([x, filter, residual, y!]);
    expect(() => addon!.conv2dEx(new Float32Array(4), 0, new Float32Array(4), 0, new Float32Array(4), 0, 1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, null, 0, null, 0, null, 0, Int32Array.of(3), 2)).toThrow(
      /scatter index out of range/,
    );
    expect(() => addon!.conv2dEx(new Float32Array(4), 0, new Float32Array(4), 0, new Float32Array(4), 0, 1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, new Float32Array(0), 0, null, 0, null, 0, null, 1)).toThrow(
      /bias/,
    );
  });

  // The implicit GEMM sums in the im2col path's k order: the two must agree bit for bit, epilogue included.
  it.each([
    [[2, 9, 14, 5], 3, 16, 'same'],
    [[1, 12, 13, 4], 3, 32, 'same'],
    [[2, 8, 20, 7], 4, 12, 'valid'],
    [[1, 5, 16, 3], 7, 19, 'same'],
  ] as const)('implicit GEMM conv equals the im2col path bit for bit: x %j k%i co%i %s', (shape, k, co, pad) => {
    const [n, h, w, ci] = shape;
    const oh = pad === 'same' ? h : h - k + 1;
    const ow = pad === 'same' ? w : w - k + 1;
    const [pt, pl] = pad === 'same' ? [(k - 1) >> 1, (k - 1) >> 1] : [0, 0];
    const x = randomArray(n * h * w * ci, 21);
    const f = randomArray(k * k * ci * co, 22);
    const bias = randomArray(co, 23);
    const residual = randomArray(n * oh * ow * co, 24);
    const run = (implicit: boolean): Float32Array => {
      const y = new Float32Array(n * oh * ow * co);
      const before = process.env.WORKBENCH_NATIVE_IMPLICIT;
      process.env.WORKBENCH_NATIVE_IMPLICIT = implicit ? '1' : '0';
      process.env.WORKBENCH_NATIVE_DIRECT = '0';
      try {
        addon!.conv2dEx(x, 0, f, 0, y, 0, n, h, w, ci, k, k, co, oh, ow, 1, 1, pt, pl, 1, bias, 0, null, 0, residual, 0, null, co);
      } finally {
        if (before === undefined) delete process.env.WORKBENCH_NATIVE_IMPLICIT;
        else process.env.WORKBENCH_NATIVE_IMPLICIT = before;
        delete process.env.WORKBENCH_NATIVE_DIRECT;
      }
      return y;
    };
    const implicit = run(true);
    expect(implicit.some((v) => v > 0)).toBe(true);
    expect(Buffer.from(implicit.buffer).equals(Buffer.from(run(false).buffer))).toBe(true);
  });

  // Faster paths that sum in the same order as the ones they replace, each behind a switch read per
  // call: on and off must agree bit for bit (conv, backprop-filter and backprop-input). Shapes with
  // 9 images (>= 4 per thread: per-image padding), 16 and 32 channels (fixed row strides 16, 32, 1),
  // rows of 16+ pixels (implicit GEMM with 32 filters), 'valid' and 'same' padding, a pointwise conv,
  // 64 channels (backprop-filter's im2col rows of K = 576 floats: a padded row stride on AVX2 builds).
  const switchCases: [string, [number, number, number, number], number, number, 'same' | 'valid'][] = [];
  for (const name of ['WORKBENCH_NATIVE_FIXED_STRIDE', 'WORKBENCH_NATIVE_PAD_PER_IMAGE', 'WORKBENCH_NATIVE_IMPLICIT_WIDE', 'WORKBENCH_NATIVE_PREFETCH', 'WORKBENCH_NATIVE_IM2COL_PAD'])
    for (const [shape, k, co, pad] of [
      [[9, 16, 17, 16], 3, 16, 'same'],
      [[9, 16, 16, 32], 3, 32, 'same'],
      [[9, 10, 20, 16], 3, 16, 'valid'],
      [[9, 16, 16, 16], 3, 32, 'same'],
      [[9, 8, 16, 16], 1, 16, 'valid'],
      [[9, 8, 8, 64], 3, 64, 'same'],
    ] as const)
      switchCases.push([name, [...shape], k, co, pad]);
  it.each(switchCases)('%s=0 and unset give the same bits: x %j k%i co%i %s', (name, shape, k, co, pad) => {
    const [n, h, w, ci] = shape;
    const oh = pad === 'same' ? h : h - k + 1;
    const ow = pad === 'same' ? w : w - k + 1;
    const [pt, pl] = pad === 'same' ? [(k - 1) >> 1, (k - 1) >> 1] : [0, 0];
    const args = [n, h, w, ci, k, k, co, oh, ow, 1, 1, pt, pl] as const;
    const x = randomArray(n * h * w * ci, 41);
    const f = randomArray(k * k * ci * co, 42);
    const dy = randomArray(n * oh * ow * co, 43);
    addon!.setThreads(2);
    const run = (off: boolean): Float32Array[] => {
      const before = process.env[name];
      if (off) process.env[name] = '0';
      else delete process.env[name];
      try {
        const y = new Float32Array(n * oh * ow * co);
        addon!.conv2dEx(x, 0, f, 0, y, 0, ...args, 0, null, 0, null, 0, null, 0, null, co);
        const dw = new Float32Array(k * k * ci * co);
        addon!.conv2dBackpropFilter(x, 0, dy, 0, dw, 0, ...args);
        const dx = new Float32Array(n * h * w * ci);
        addon!.conv2dBackpropInput(dy, 0, f, 0, dx, 0, ...args);
        return [y, dw, dx];
      } finally {
        if (before === undefined) delete process.env[name];
        else process.env[name] = before;
      }
    };
    const on = run(false);
    const off = run(true);
    for (let i = 0; i < 3; i++) {
      expect(on[i]!.some((v) => v !== 0), `output ${i}`).toBe(true);
      expect(Buffer.from(on[i]!.buffer).equals(Buffer.from(off[i]!.buffer)), `output ${i}`).toBe(true);
    }
  });

  // The implicit path applies the conv's epilogue straight from the microkernel's tile
  // (WORKBENCH_NATIVE_EPILOGUE_FROM_TILE=0 copies the rows into y or a staging row first and applies
  // it there): bias + ReLU, bias + residual + ReLU, and a hard-pruned tail's scatter (injective: a
  // gather; repeated: the staged scatter), each bit for bit against the copy-first form and against
  // the generic row loop (WORKBENCH_NATIVE_EPILOGUE_VECTOR=0).
  const tileCases: [string, [number, number, number, number], number, 'same' | 'valid', 'bias' | 'residual' | 'scatter' | 'repeated'][] = [];
  for (const [shape, co, pad] of [
    [[9, 16, 17, 16], 16, 'same'],
    [[9, 16, 16, 32], 32, 'same'],
    [[9, 10, 20, 16], 12, 'valid'],
  ] as const)
    for (const tail of ['bias', 'residual', 'scatter', 'repeated'] as const) tileCases.push([`co${co}`, [...shape], co, pad, tail]);
  it.each(tileCases)('epilogue from the tile and after a copy give the same bits: %s x %j %s %s', (_label, shape, co, pad, tail) => {
    const [n, h, w, ci] = shape;
    const k = 3;
    const oh = pad === 'same' ? h : h - k + 1;
    const ow = pad === 'same' ? w : w - k + 1;
    const [pt, pl] = pad === 'same' ? [1, 1] : [0, 0];
    const channels = tail === 'scatter' || tail === 'repeated' ? co + 4 : co;
    // Injective: every conv channel to its own output channel; repeated: two channels share one (summed).
    const scatter = tail === 'scatter' ? Int32Array.from({ length: co }, (_, j) => (j * 5) % channels) : tail === 'repeated' ? Int32Array.from({ length: co }, (_, j) => Math.min(j, co - 2)) : null;
    const x = randomArray(n * h * w * ci, 51);
    const f = randomArray(k * k * ci * co, 52);
    const bias = randomArray(channels, 53);
    const residual = tail === 'bias' ? null : randomArray(n * oh * ow * channels, 54);
    addon!.setThreads(2);
    const run = (off: boolean): Float32Array => {
      const y = new Float32Array(n * oh * ow * channels);
      if (off) process.env.WORKBENCH_NATIVE_EPILOGUE_FROM_TILE = '0';
      process.env.WORKBENCH_NATIVE_DIRECT = '0';
      try {
        addon!.conv2dEx(x, 0, f, 0, y, 0, n, h, w, ci, k, k, co, oh, ow, 1, 1, pt, pl, 1, bias, 0, null, 0, residual, 0, scatter, channels);
      } finally {
        delete process.env.WORKBENCH_NATIVE_EPILOGUE_FROM_TILE;
        delete process.env.WORKBENCH_NATIVE_DIRECT;
      }
      return y;
    };
    const on = run(false);
    expect(on.some((v) => v > 0)).toBe(true);
    expect(on.some((v) => v === 0)).toBe(true);
    expect(Buffer.from(on.buffer).equals(Buffer.from(run(true).buffer))).toBe(true);
    // The plain rows' AVX-512 loop (channels a multiple of 16, no scatter) against the generic loop.
    process.env.WORKBENCH_NATIVE_EPILOGUE_VECTOR = '0';
    try {
      expect(Buffer.from(on.buffer).equals(Buffer.from(run(false).buffer))).toBe(true);
    } finally {
      delete process.env.WORKBENCH_NATIVE_EPILOGUE_VECTOR;
    }
  });

  it('kernels flush denormal floats (they cost x86 100+ cycles each) while JavaScript keeps IEEE denormals', async () => {
    await tf.setBackend('wasm');
    // 1e-39 is denormal in float32: the conv's products and sums are flushed to zero.
    const y = tf.tidy(() => tf.conv2d(tf.fill([1, 4, 20, 2], 1e-39) as tf.Tensor4D, tf.fill([3, 3, 2, 12], 0.5) as tf.Tensor4D, 1, 'same').dataSync());
    expect(Array.from(y).every((v) => v === 0)).toBe(true);
    // The same thread runs JavaScript: its arithmetic still produces denormals afterwards.
    const values = [Number.MIN_VALUE * 4, 3e-39];
    expect(values[0]! / 2).toBeGreaterThan(0);
    expect(Math.fround(values[1]! * 0.5)).toBeGreaterThan(0);
  });

  it('BatchNorm training kernels match the cpu backend (moments, y, dx, dgamma, dbeta)', async () => {
    // Channel counts off the vector width; a large mean exercises the x - mean cancellation.
    for (const [shape, offset] of [
      [[4, 9, 7, 19], 0],
      [[2, 16, 16, 64], 50],
      [[33, 3], -3],
    ] as const) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const c = shape[shape.length - 1]!;
      const x = randomArray(n, 7).map((v) => v * 3 + offset);
      const dy = randomArray(n, 8);
      const gamma = randomArray(c, 9).map((v) => v + 1.5);
      const beta = randomArray(c, 10);
      const run = (): Float32Array[] =>
        tf.tidy(() => {
          const xt = tf.tensor(x, [...shape]);
          const [g, b] = [tf.tensor1d(gamma), tf.tensor1d(beta)];
          const f = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor): tf.Tensor => batchNormTrain(a, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5).y;
          const { y, mean, variance } = batchNormTrain(xt, g, b, 1e-5);
          const grads = tf.grads(f)([xt, g, b], tf.tensor(dy, [...shape]));
          return [y, mean, variance, ...grads].map((t) => t.dataSync() as Float32Array);
        });
      const native = await onBackend('wasm', run);
      const reference = await onBackend('cpu', run);
      // Statistics are float64 sums on both sides (1e-5 relative covers the float32 outputs); y and
      // dx are a few float32 operations per element on O(1) values, dgamma/dbeta sums of m terms.
      const m = n / c;
      const tolerances = [1e-4, 1e-5, 1e-5, 1e-4, 1e-6 * m, 1e-6 * m];
      native.forEach((values, i) => {
        for (let j = 0; j < values.length; j++) {
          const ref = reference[i]![j]!;
          expect(Math.abs(values[j]! - ref), `output ${i} element ${j} of ${shape.join('x')}`).toBeLessThanOrEqual(tolerances[i]! * Math.max(1, Math.abs(ref)));
        }
      });
    }
  });

  it.each([
    ['none', [2, 5, 3, 4], 0],
    ['relu', [3, 9, 7, 19], 0],
    ['leaky', [3, 9, 7, 19], 0],
    // hw*c >= 2 x 16k: each sample's rows split over parts (threaded); a large mean (x - mean cancellation).
    ['relu', [2, 64, 32, 32], 40],
    ['leaky', [1, 33, 65, 17], -20],
  ] as const)('fused InstanceNorm + %s on %j (offset %d) matches the autodiff reference on cpu, deterministically', async (act, shape, offset) => {
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const x = randomArray(n, 31).map((v) => v * 2 + offset);
    const dy = randomArray(n, 32);
    const reference = (t: tf.Tensor): tf.Tensor => {
      const y = instanceNormReference(t as tf.Tensor4D);
      return act === 'relu' ? tf.relu(y) : act === 'leaky' ? tf.leakyRelu(y, 0.2) : y;
    };
    const run = (f: (t: tf.Tensor) => tf.Tensor) => (): Float32Array[] =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, [...shape] as [number, number, number, number]);
        const [dx] = tf.grads(f)([xt], tf.tensor(dy, [...shape]));
        return [f(xt), dx!].map((t) => t.dataSync() as Float32Array);
      });
    const fused = (t: tf.Tensor): tf.Tensor => instanceNormAct(t as tf.Tensor4D, act);
    const before = await onBackend('wasm', () => tf.memory().numTensors);
    const native = await onBackend('wasm', run(fused));
    expect(tf.getKernel(INSTANCE_NORM, 'wasm'), 'registered on wasm').toBeDefined();
    expect(await onBackend('wasm', () => tf.memory().numTensors)).toBe(before);
    const again = await onBackend('wasm', run(fused));
    const expected = await onBackend('cpu', run(reference));
    // y: a few float32 operations per element on O(1) values (float64 statistics on the native
    // side, float32 means on the reference's); dx: the same plus means over hw float32 terms.
    const tolerances = [2e-5, 1e-4];
    native.forEach((values, i) => {
      expect(Array.from(again[i]!), `output ${i} is reproducible`).toEqual(Array.from(values));
      const scale = expected[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      let worst = 0;
      for (let j = 0; j < values.length; j++) worst = Math.max(worst, Math.abs(values[j]! - expected[i]![j]!) / scale);
      expect(worst, `output ${i} (${i === 0 ? 'y' : 'dx'})`).toBeLessThanOrEqual(tolerances[i]!);
    });
    // A gradient of zero would pass trivially.
    expect(expected[1]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(0.01);
  });

  it('the fused Adam update gives the same weights and checkpointed moments as TF.js Adam, bit for bit, without leaks', async () => {
    await tf.setBackend('wasm');
    expect(tf.getKernel(ADAM_UPDATE, 'wasm'), 'registered on wasm').toBeDefined();
    // Sizes below and above the kernel's 16k-element chunk (threaded); gradients of several magnitudes.
    const shapes = [[3, 3, 4, 5], [40000], [7]];
    const run = async (optimizer: tf.Optimizer, tag: string): Promise<number[][]> => {
      const vars = shapes.map((sh, i) => tf.variable(tf.tensor(randomArray(sh.reduce((a, b) => a * b, 1), 40 + i), sh), true, `adam-test-${tag}-${i}`));
      const step = (k: number): void => {
        const grads: tf.NamedTensorMap = {};
        vars.forEach((v, i) => (grads[v.name] = tf.tensor(randomArray(v.size, 50 + 10 * k + i).map((g) => g * 10 ** (i - 2)), v.shape)));
        optimizer.applyGradients(grads);
        tf.dispose(Object.values(grads));
      };
      step(0);
      const before = tf.memory().numTensors;
      for (let k = 1; k < 6; k++) step(k);
      expect(tf.memory().numTensors, `${tag}: no tensors leak per step`).toBe(before);
      const weights = await optimizer.getWeights(); // iterations, then the m and v of every variable
      const out = [...vars.map((v) => Array.from(v.dataSync())), ...weights.map((w) => Array.from(w.tensor.dataSync()))];
      tf.dispose(vars);
      return out;
    };
    const fused = await run(fusedAdam(0.01, 0.5, 0.999), 'fused');
    const reference = await run(tf.train.adam(0.01, 0.5, 0.999), 'tfjs');
    expect(fused.length).toBe(shapes.length * 3 + 1);
    fused.forEach((values, i) => expect(values, `weight ${i}`).toEqual(reference[i]));
    expect(fused[0]).not.toEqual(Array.from(randomArray(fused[0]!.length, 40))); // the weights moved
  });

  it.each([
    [[2, 9, 7, 5], 3],
    [[1, 4, 6, 16], 1],
    [[3, 8, 8, 3], 3],
  ] as const)('reflect padding of %j by %i: the gradient folds the borders back (native on wasm and tf ops on cpu against a gather reference)', async (shape, p) => {
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const [h, w] = [shape[1], shape[2]];
    const padded = [shape[0], h + 2 * p, w + 2 * p, shape[3]] as const;
    const x = randomArray(n, 61);
    const dy = randomArray(padded.reduce((a: number, b: number) => a * b, 1), 62);
    // Reflect padding as two gathers: their gradient (a scatter-add) is right by construction.
    const reflect = (i: number, len: number): number => (i < 0 ? -i : i >= len ? 2 * (len - 1) - i : i);
    const rows = Array.from({ length: h + 2 * p }, (_, i) => reflect(i - p, h));
    const cols = Array.from({ length: w + 2 * p }, (_, j) => reflect(j - p, w));
    const gathers = (t: tf.Tensor): tf.Tensor => tf.gather(tf.gather(t, rows, 1), cols, 2);
    const fused = (t: tf.Tensor): tf.Tensor => reflectPad(t as tf.Tensor4D, p);
    const run = (f: (t: tf.Tensor) => tf.Tensor) => (): Float32Array[] =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, [...shape] as [number, number, number, number]);
        const [dx] = tf.grads(f)([xt], tf.tensor(dy, [...padded]));
        return [f(xt), dx!].map((t) => t.dataSync() as Float32Array);
      });
    expect(tf.getKernel(REFLECT_PAD_GRAD, 'wasm'), 'registered on wasm').toBeDefined();
    const expected = await onBackend('cpu', run(gathers));
    for (const [side, got] of [['native', await onBackend('wasm', run(fused))], ['tf ops', await onBackend('cpu', run(fused))]] as const) {
      expect(Array.from(got[0]!), `${side}: padded values`).toEqual(Array.from(expected[0]!));
      // dx: at most 4 float32 terms per element, summed in another order.
      got[1]!.forEach((v, i) => expect(Math.abs(v - expected[1]![i]!), `${side}: dx ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected[1]![i]!))));
    }
    // The borders carry gradient: a centre slice alone (TF.js' MirrorPad gradient) differs.
    const centre = await onBackend('cpu', () => tf.tidy(() => tf.slice(tf.tensor(dy, [...padded]), [0, p, p, 0], [...shape]).dataSync() as Float32Array));
    expect(Array.from(expected[1]!)).not.toEqual(Array.from(centre));
  });

  it.each([
    ['same shape', [3, 5, 7, 19], [3, 5, 7, 19]],
    ['large (threaded split)', [4, 64, 64, 9], [4, 64, 64, 9]],
    ['bias broadcast [C]', [2, 4, 4, 6], [6]],
    ['InstanceNorm broadcast [N,1,1,C]', [4, 9, 7, 19], [4, 1, 1, 19]],
    ['broadcast operand first', [4, 1, 1, 19], [4, 9, 7, 19]],
    ['large broadcast (threaded split)', [4, 64, 64, 9], [1, 1, 1, 9]],
    ['broadcast over a middle block with 1s in it', [3, 1, 5, 2, 4], [3, 1, 1, 1, 4]],
    ['two-sided broadcast (replaced kernel)', [2, 1, 4, 6], [2, 3, 1, 6]],
    ['empty', [0, 3], [0, 3]],
  ] as const)('Add, Multiply, Sub, Relu match cpu exactly: %s', async (_name, shapeA, shapeB) => {
    const size = (sh: readonly number[]): number => sh.reduce((p, d) => p * d, 1);
    const a = randomArray(size(shapeA), 21);
    if (a.length > 2) a[1] = Number.NaN; // NaN passes through Relu as in TF.js
    const b = randomArray(size(shapeB), 22);
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const [ta, tb] = [tf.tensor(a, [...shapeA]), tf.tensor(b, [...shapeB])];
        const ints = tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([4, 5, 6], [3], 'int32')); // int32: replaced kernel
        return [tf.add(ta, tb), tf.mul(ta, tb), tf.sub(ta, tb), tf.sub(tb, ta), tf.relu(ta), tf.cast(ints, 'float32')].map((t) => t.dataSync() as Float32Array);
      });
    const native = await onBackend('wasm', run);
    const reference = await onBackend('cpu', run);
    // One float32 operation per element on both sides: bit-identical.
    native.forEach((values, i) => expect(Array.from(values), `output ${i}`).toEqual(Array.from(reference[i]!)));
  });

  it.each([
    ['small', [3, 5, 7, 19]],
    ['large (threaded split)', [4, 64, 64, 9]],
    ['empty', [0, 3]],
  ] as const)(`${RELU_GRAD} (ReLU's gradient in one kernel) is bit-identical to Multiply(dy, Cast(Step(y))): %s`, async (_name, shape) => {
    const count = shape.reduce((p, d) => p * d, 1);
    const x = randomArray(count, 31);
    const dy = randomArray(count, 32);
    // NaN in y (relu(NaN) = NaN) gives NaN; y = 0 with a negative dy gives -0; an infinite dy at y = 0 gives NaN.
    if (count > 4) [x[1], x[2], dy[2], x[3], dy[3]] = [Number.NaN, -1, -0.5, -2, Number.POSITIVE_INFINITY];
    const run = (fused: boolean): number[] =>
      tf.tidy(() => {
        const y = tf.relu(tf.tensor(x, [...shape]));
        const g = tf.tensor(dy, [...shape]);
        return tensorBits(fused ? (tf.engine().runKernel(RELU_GRAD, { dy: g, y }) as tf.Tensor) : tf.mul(g, tf.cast(tf.step(y), 'float32')));
      });
    const reference = await onBackend('cpu', () => run(false));
    expect(await onBackend('wasm', () => run(true)), 'native').toEqual(reference);
    // The JavaScript kernel (what wasm without the addon, and cpu where it is the engine, run), registered here for this check only.
    tf.registerKernel(reluGradKernel('cpu'));
    try {
      expect(await onBackend('cpu', () => run(true)), 'JavaScript kernel').toEqual(reference);
    } finally {
      tf.unregisterKernel(RELU_GRAD, 'cpu');
    }
    expect(await onBackend('wasm', () => run(false)), 'wasm chain').toEqual(reference);
    // reluGrad (what the backward pass calls) takes the fused kernel, and the chain when switched off for A/B timing.
    await tf.setBackend('wasm');
    const [y, g] = [tf.relu(tf.tensor(x, [...shape])), tf.tensor(dy, [...shape])];
    const kernelsOf = async (): Promise<string[]> => (await tf.profile(() => reluGrad(g, y))).kernelNames;
    try {
      expect(await kernelsOf()).toEqual([RELU_GRAD]);
      process.env.WORKBENCH_FUSED_RELU_GRAD = '0';
      expect(await kernelsOf()).toEqual(['Step', 'Cast', 'Multiply']);
    } finally {
      delete process.env.WORKBENCH_FUSED_RELU_GRAD;
      tf.dispose([y, g]);
    }
  });

  it.each([
    ['one part', [3, 8, 8, 8]],
    ['threaded parts, 16 channels', [8, 32, 32, 16]],
    ['channels off the vector width', [2, 9, 7, 19]],
  ] as const)(`BatchNorm + ReLU in one kernel each way (${BN_SCALE_SHIFT_RELU}, ${BN_RELU_GRAD}) is bit-identical to the unfused kernels: %s`, async (_name, shape) => {
    const count = shape.reduce((p, d) => p * d, 1);
    const c = shape[3];
    const x = randomArray(count, 41);
    const dy = randomArray(count, 42);
    const gamma = randomArray(c, 43).map((v) => v + 0.5);
    const beta = randomArray(c, 44);
    if (count > 4) [dy[0], x[1]] = [Number.POSITIVE_INFINITY, Number.NaN]; // NaN through the ReLU; infinity times a zero step
    const run = (fused: boolean): number[][] => {
      if (fused) delete process.env.WORKBENCH_FUSED_BN_RELU;
      else process.env.WORKBENCH_FUSED_BN_RELU = '0';
      try {
        return tf.tidy(() => {
          const [xt, g, b] = [tf.tensor(x, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta)];
          const f = batchNormTrainForward(xt, g, b, 1e-5, true);
          const grads = batchNormReluTrainBackward(tf.tensor(dy, [...shape]), f.y, { x: xt, gamma: g, mean: f.mean, invstd: f.invstd });
          return [f.y, f.mean, f.variance, ...grads].map(tensorBits);
        });
      } finally {
        delete process.env.WORKBENCH_FUSED_BN_RELU;
      }
    };
    const plain = await onBackend('wasm', () => run(false));
    // Twice: the first call must not differ from later ones (fresh heap memory, first dispatch).
    for (const attempt of [1, 2]) (await onBackend('wasm', () => run(true))).forEach((b, i) => expect(b, `output ${i}, call ${attempt}`).toEqual(plain[i]));
    // The fused path ran the one kernel (the check above cannot pass vacuously).
    await tf.setBackend('wasm');
    const [xt, g, b] = [tf.tensor(x, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta)];
    const f = batchNormTrainForward(xt, g, b, 1e-5, true);
    const dyt = tf.tensor(dy, [...shape]);
    const saved = { x: xt, gamma: g, mean: f.mean, invstd: f.invstd };
    const { kernelNames, result } = await tf.profile(() => batchNormReluTrainBackward(dyt, f.y, saved));
    const forward = await tf.profile(() => {
      const again = batchNormTrainForward(xt, g, b, 1e-5, true);
      tf.dispose([again.mean, again.variance, again.invstd]);
      return again.y;
    });
    tf.dispose([xt, g, b, f.y, f.mean, f.variance, f.invstd, dyt, ...(result as tf.Tensor[]), forward.result as tf.Tensor]);
    expect(kernelNames).toEqual([BN_RELU_GRAD]);
    expect(forward.kernelNames).toContain(BN_SCALE_SHIFT_RELU);
    expect(forward.kernelNames).not.toContain('Relu');
  });

  /** A small conv+BN+ReLU network's loss gradients wrt every weight, on the active backend. */
  function networkGrads(x: Float32Array, weights: Float32Array[]): Float32Array[] {
    return tf.tidy(() => {
      const xt = tf.tensor4d(x, [4, 10, 10, 3]);
      const loss = (w1: tf.Tensor, g1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, g2: tf.Tensor, b2: tf.Tensor): tf.Scalar => {
        let h: tf.Tensor4D = tf.conv2d(xt, w1 as tf.Tensor4D, 1, 'same');
        h = tf.relu(batchNormTrain(h, g1 as tf.Tensor1D, b1 as tf.Tensor1D, 1e-5).y);
        h = tf.conv2d(h, w2 as tf.Tensor4D, 2, 'same');
        h = tf.relu(batchNormTrain(h, g2 as tf.Tensor1D, b2 as tf.Tensor1D, 1e-5).y);
        return tf.sum(tf.square(h)) as tf.Scalar;
      };
      const shapes = [[3, 3, 3, 6], [6], [6], [3, 3, 6, 10], [10], [10]];
      const vars = weights.map((w, i) => tf.tensor(w, shapes[i]!));
      return tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)(vars).map((g) => g.dataSync() as Float32Array);
    });
  }

  it('gradients of a conv+BN+ReLU network match the cpu backend', async () => {
    const x = randomArray(4 * 10 * 10 * 3, 11);
    const weights = [
      randomArray(162, 12),
      randomArray(6, 13).map((v) => v + 1),
      randomArray(6, 14),
      randomArray(540, 15),
      randomArray(10, 16).map((v) => v + 1),
      randomArray(10, 17),
    ];
    const native = await onBackend('wasm', () => networkGrads(x, weights));
    const reference = await onBackend('cpu', () => networkGrads(x, weights));
    native.forEach((g, i) => {
      const scale = Math.max(...reference[i]!.map(Math.abs));
      for (let j = 0; j < g.length; j++) {
        // Relative to the gradient's largest entry: float32 sums over <= 400 rows through two BN layers.
        expect(Math.abs(g[j]! - reference[i]![j]!), `weight ${i} element ${j}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      }
    });
  });

  it('100 training steps through the native kernels leak no tensors', async () => {
    await tf.setBackend('wasm');
    const w = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.1)) as tf.Variable<tf.Rank.R4>;
    const gamma = tf.variable(tf.ones([8])) as tf.Variable<tf.Rank.R1>;
    const beta = tf.variable(tf.zeros([8])) as tf.Variable<tf.Rank.R1>;
    const x = tf.randomNormal([2, 8, 8, 8]) as tf.Tensor4D;
    const optimizer = tf.train.sgd(0.01);
    const step = (): void => {
      const loss = optimizer.minimize(() => tf.mean(tf.square(tf.relu(batchNormTrain(tf.conv2d(x, w, [2, 2], 'same'), gamma, beta, 1e-5).y))) as tf.Scalar, true);
      loss?.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, gamma, beta, x]);
    optimizer.dispose();
  });
});
