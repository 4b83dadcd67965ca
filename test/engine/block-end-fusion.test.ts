/**
 * The ResNet block fusions of the training step (nn/backward.ts):
 * - a block's end (training BatchNorm -> residual Add -> ReLU) as one kernel
 *   (`EngineChannelScaleShiftAddRelu`, engine/ops/batch-norm.ts): the bits of the scale-shift, Add
 *   and Relu kernels run apart;
 * - a block input's two gradients summed inside the conv's backprop-input
 *   (`EngineConv2DBackpropInputAdd`, engine/ops/backprop-input-add.ts): the values of
 *   Conv2DBackpropInput then Add (stride 1 adds in the conv's epilogue: a zero's sign may differ);
 * - the block end's gradient, the BatchNorm's through the ReLU plus the ReLU's own for the residual,
 *   as one kernel (`EngineBatchNormReluGradMasked`): the bits of ReLU's gradient then BatchNorm's;
 * and a training step's loss and every gradient bit-identical with each switch off
 * (`WORKBENCH_FUSED_BN_ADD_RELU=0`, `WORKBENCH_FUSED_DX_ADD=0`, `WORKBENCH_FUSED_BN_ADD_RELU_GRAD=0`) and on. The row loops and
 * microkernels are chosen per ISA when the addon loads: run this file again with
 * `WORKBENCH_NATIVE_ISA=avx2` (and `=generic`) to check the other builds.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';
import { BN_GRAD, BN_RELU_GRAD_MASKED, BN_SCALE_SHIFT, BN_SCALE_SHIFT_ADD_RELU } from '../../src-main/engine/kernels/batch-norm-kernels.ts';
import { batchNormAddRelu, batchNormAddReluTrainBackward, fusedAddReluActive } from '../../src-main/engine/ops/batch-norm.ts';
import { reluGrad } from '../../src-main/engine/ops/relu-grad.ts';
import { BACKPROP_INPUT_ADD } from '../../src-main/engine/ops/backprop-input-add.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { trainGradients } from '../../src-main/nn/backward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { tensorBits } from './wasm-native.ts';


// Before the suites are collected: whether the addon registered the kernel decides what runs.
await initEngine({ backend: 'wasm' });
beforeAll(() => {
  if (process.env.CI && !fusedAddReluActive()) throw new Error('the native addon (EngineChannelScaleShiftAddRelu) is missing');
});
afterEach(() => {
  delete process.env.WORKBENCH_FUSED_BN_ADD_RELU;
  delete process.env.WORKBENCH_FUSED_DX_ADD;
  delete process.env.WORKBENCH_FUSED_BN_ADD_RELU_GRAD;
});
/** Bits with -0 read as +0. */
const valueBits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array, (v) => (v === 0 ? 0 : v)).buffer));

describe.skipIf(tf.getKernel(BN_SCALE_SHIFT_ADD_RELU, 'wasm') == null && !process.env.CI)('fused BatchNorm + Add + ReLU', () => {
  // Channel counts on and off the vector widths (tails), a one-row case, and values around zero.
  it.each([
    [[2, 5, 7, 16]],
    [[3, 4, 4, 13]],
    [[1, 1, 1, 3]],
    [[4, 8, 8, 64]],
  ])('equals scale-shift, Add and Relu run apart, bit for bit, %j', (shape) => {
    const c = shape[3]!;
    const x = tf.randomNormal(shape, 0.3, 2, 'float32', 1);
    const residual = tf.randomNormal(shape, -0.2, 1, 'float32', 2);
    const gamma = tf.randomNormal([c], 1, 0.5, 'float32', 3) as tf.Tensor1D;
    const beta = tf.randomNormal([c], 0, 0.5, 'float32', 4) as tf.Tensor1D;
    const mean = tf.randomNormal([c], 0.3, 0.1, 'float32', 5) as tf.Tensor1D;
    const invstd = tf.randomUniform([c], 0.3, 1.5, 'float32', 6) as tf.Tensor1D;
    const fused = batchNormAddRelu(x, gamma, beta, mean, invstd, residual);
    const apart = tf.tidy(() => {
      const scale = tf.mul(gamma, invstd);
      const shift = tf.sub(beta, tf.mul(mean, scale));
      const t = tf.engine().runKernel(BN_SCALE_SHIFT, { x, scale, shift }) as tf.Tensor;
      return tf.relu(tf.add(t, residual));
    });
    expect(tensorBits(fused)).toEqual(tensorBits(apart));
    // Not trivially equal: some outputs are clipped, some are not.
    const v = fused.dataSync();
    expect(v.some((e) => e === 0) && v.some((e) => e > 0)).toBe(true);
    process.env.WORKBENCH_FUSED_BN_ADD_RELU = '0';
    const off = batchNormAddRelu(x, gamma, beta, mean, invstd, residual);
    expect(tensorBits(off)).toEqual(tensorBits(fused));
    tf.dispose([x, residual, gamma, beta, mean, invstd, fused, apart, off]);
  });

  it.each([[[2, 5, 7, 16]], [[3, 4, 4, 13]], [[4, 8, 8, 64]]])('the block end gradient equals ReLU gradient then BatchNorm gradient, bit for bit, %j', (shape) => {
    const c = shape[3]!;
    const x = tf.randomNormal(shape, 0.3, 2, 'float32', 21);
    const y = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 22)); // a ReLU output: zeros and positives
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 23);
    const gamma = tf.randomNormal([c], 1, 0.5, 'float32', 24) as tf.Tensor1D;
    const mean = tf.randomNormal([c], 0.3, 0.1, 'float32', 25) as tf.Tensor1D;
    const invstd = tf.randomUniform([c], 0.3, 1.5, 'float32', 26) as tf.Tensor1D;
    const saved = { x, gamma, mean, invstd };
    const fused = tf.engine().runKernel(BN_RELU_GRAD_MASKED, { dy, x, mean, invstd, gamma, y }) as tf.Tensor[];
    const g = reluGrad(dy, y);
    const apart = [...(tf.engine().runKernel(BN_GRAD, { dy: g, x, mean, invstd, gamma }) as tf.Tensor[]), g];
    expect(fused.length).toBe(4);
    fused.forEach((t, i) => expect(tensorBits(t), `output ${i}`).toEqual(tensorBits(apart[i]!)));
    process.env.WORKBENCH_FUSED_BN_ADD_RELU_GRAD = '0';
    const composed = batchNormAddReluTrainBackward(dy, y, saved);
    composed.forEach((t, i) => expect(tensorBits(t), `composed output ${i}`).toEqual(tensorBits(fused[i]!)));
    tf.dispose([x, y, dy, gamma, mean, invstd, ...fused, ...apart, ...composed]);
  });

  // [x shape, filter shape, stride, padding]: the implicit (16/32 channels), im2col (64, 13) and
  // direct (12) paths of stride 1's flipped-filter conv, stride 2 (col2im), pointwise.
  it.each([
    [[4, 12, 12, 16], [3, 3, 16, 16], 1, 'same'],
    [[3, 16, 16, 32], [3, 3, 32, 32], 1, 'same'],
    [[2, 8, 8, 64], [3, 3, 64, 64], 1, 'same'],
    [[2, 7, 9, 13], [3, 3, 13, 20], 1, 'valid'],
    [[2, 14, 14, 12], [3, 3, 12, 23], 1, 'same'], // 12 input channels on 14-pixel rows: the direct path (AVX-512)
    [[2, 9, 9, 16], [3, 3, 16, 32], 2, 'same'],
    [[2, 8, 8, 24], [1, 1, 24, 40], 1, 'valid'],
  ] as const)('backprop-input + addend equals Conv2DBackpropInput then Add, %j %j stride %d %s', (xShape, wShape, stride, pad) => {
    const filter = tf.randomNormal([...wShape], 0, 0.3, 'float32', 11);
    const x = tf.zeros([...xShape]);
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 12);
    const addend = tf.randomNormal([...xShape], 0, 1, 'float32', 13);
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', inputShape: [...xShape] };
    const fused = tf.engine().runKernel(BACKPROP_INPUT_ADD, { dy, filter, addend }, attrs) as tf.Tensor;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
    const apart = tf.add(addend, dx);
    expect(valueBits(fused)).toEqual(valueBits(apart));
    expect(tf.max(tf.abs(dx)).dataSync()[0]).toBeGreaterThan(0.1); // not an addend alone
    tf.dispose([filter, x, y, dy, addend, fused, dx, apart]);
  });

  it('backprop-input + addend refuses an addend of another shape', () => {
    const filter = tf.ones([3, 3, 4, 4]);
    const dy = tf.ones([1, 5, 5, 4]);
    const addend = tf.ones([1, 5, 5, 3]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 5, 5, 4] };
    expect(() => tf.engine().runKernel(BACKPROP_INPUT_ADD, { dy, filter, addend }, attrs)).toThrow(/addend/);
    tf.dispose([filter, dy, addend]);
  });

  it('a residual of another shape is refused by the kernel', () => {
    const x = tf.ones([2, 3, 3, 4]);
    const r = tf.ones([2, 3, 3, 5]);
    const s = tf.ones([4]);
    expect(() => tf.engine().runKernel(BN_SCALE_SHIFT_ADD_RELU, { x, scale: s, shift: s, residual: r })).toThrow(/residual/);
    tf.dispose([x, r, s]);
  });

  // ResNet-20 (identity and option-A shortcuts) and ResNet-18 (projection shortcuts with a BatchNorm on each addend).
  it.each([
    ['resnet20', 16],
    ['resnet18', 32],
  ] as const)('%s: loss and gradients bit-identical with the fusions off and on, no leaks', async (arch, size) => {
    const model = createModel(arch, { inputSize: [size, size], widthMultiplier: 0.5, numClasses: 10 }, 3);
    const x = tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([1, 7, 3], 'int32'), 10);
    const run = (): Map<string, number[]> => {
      const r = trainGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, { seed: 9 });
      const m = new Map<string, number[]>([['loss', tensorBits(r.loss)]]);
      for (const [name, g] of r.grads) m.set(name, tensorBits(g));
      tf.dispose([r.loss, r.logits, ...r.grads.values()]);
      return m;
    };
    process.env.WORKBENCH_FUSED_BN_ADD_RELU = '0';
    process.env.WORKBENCH_FUSED_DX_ADD = '0';
    process.env.WORKBENCH_FUSED_BN_ADD_RELU_GRAD = '0';
    let off = new Map<string, number[]>();
    const offKernels = (await tf.profile(() => void (off = run()))).kernelNames;
    delete process.env.WORKBENCH_FUSED_BN_ADD_RELU;
    delete process.env.WORKBENCH_FUSED_DX_ADD;
    delete process.env.WORKBENCH_FUSED_BN_ADD_RELU_GRAD;
    const before = tf.memory().numTensors;
    let on = new Map<string, number[]>();
    const onKernels = (await tf.profile(() => void (on = run()))).kernelNames;
    expect(tf.memory().numTensors).toBe(before);
    // The switch took the other path: the fused kernel ran in one step only.
    for (const k of [BN_SCALE_SHIFT_ADD_RELU, BACKPROP_INPUT_ADD, BN_RELU_GRAD_MASKED]) {
      expect(onKernels).toContain(k);
      expect(offKernels).not.toContain(k);
    }
    expect(on.size).toBe(off.size);
    expect(on.size).toBeGreaterThan(10);
    for (const [name, b] of off) expect(on.get(name), name).toEqual(b);
    tf.dispose([x, labels]);
    disposeModel(model);
  });
});
