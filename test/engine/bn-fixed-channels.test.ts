/**
 * The native BatchNorm row loops with the channel count fixed at compile time (16, 32, 64: the
 * ResNet stages; batch_norm_loops.cc) give the bits of the run-time-channel loops
 * (`WORKBENCH_NATIVE_BN_FIXED_C=0`, read per call) for every BatchNorm kernel, at the fixed widths
 * and off them (13, 48: the run-time loops on both sides), with one and several row parts; and the
 * moments and gradients stay within float32 rounding of a float64 reference. Run again with
 * `WORKBENCH_NATIVE_ISA=avx2` (and `=generic`) for the other builds.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  BN_GRAD,
  BN_MOMENTS,
  BN_RELU_GRAD,
  BN_RELU_GRAD_MASKED,
  BN_SCALE_SHIFT,
  BN_SCALE_SHIFT_ADD_RELU,
  BN_SCALE_SHIFT_RELU,
} from '../../src-main/engine/kernels/batch-norm-kernels.ts';
import { startWasmNative, tensorBits } from './wasm-native.ts';

const SWITCH = 'WORKBENCH_NATIVE_BN_FIXED_C';

// The masked gradient kernel exists only on the addon.
const native = await startWasmNative('BatchNorm kernels', () => tf.getKernel(BN_RELU_GRAD_MASKED, 'wasm') != null, [SWITCH]);

interface Operands {
  x: tf.Tensor;
  dy: tf.Tensor;
  y: tf.Tensor;
  residual: tf.Tensor;
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
  gamma: tf.Tensor1D;
  mean: tf.Tensor1D;
  invstd: tf.Tensor1D;
}

/** Every native BatchNorm kernel with the inputs it takes. */
const kernels: [string, (o: Operands) => tf.NamedTensorMap][] = [
  [BN_MOMENTS, (o) => ({ x: o.x })],
  [BN_SCALE_SHIFT, (o) => ({ x: o.x, scale: o.scale, shift: o.shift })],
  [BN_SCALE_SHIFT_RELU, (o) => ({ x: o.x, scale: o.scale, shift: o.shift })],
  [BN_SCALE_SHIFT_ADD_RELU, (o) => ({ x: o.x, scale: o.scale, shift: o.shift, residual: o.residual })],
  [BN_GRAD, (o) => ({ dy: o.dy, x: o.x, mean: o.mean, invstd: o.invstd, gamma: o.gamma })],
  [BN_RELU_GRAD, (o) => ({ dy: o.dy, x: o.x, mean: o.mean, invstd: o.invstd, gamma: o.gamma, y: o.y })],
  [BN_RELU_GRAD_MASKED, (o) => ({ dy: o.dy, x: o.x, mean: o.mean, invstd: o.invstd, gamma: o.gamma, y: o.y })],
];

// Channel counts at the fixed widths and off them; [2,4,4,c] is one row part, the larger maps
// 2-16 parts (a part per 16384 elements).
const shapes = [
  [2, 4, 4, 16],
  [8, 16, 16, 16],
  [4, 16, 16, 32],
  [16, 8, 8, 64],
  [2, 4, 4, 64],
  [4, 9, 9, 13],
  [4, 8, 8, 48],
];

function operands(shape: number[]): Operands {
  const c = shape[3]!;
  return {
    x: tf.randomNormal(shape, 3, 2, 'float32', 1), // a mean far from 0: the float64 sums matter
    dy: tf.randomNormal(shape, 0, 1, 'float32', 2),
    y: tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 3)),
    residual: tf.randomNormal(shape, 0, 1, 'float32', 4),
    scale: tf.randomUniform([c], 0.3, 1.5, 'float32', 5) as tf.Tensor1D,
    shift: tf.randomNormal([c], 0, 1, 'float32', 6) as tf.Tensor1D,
    gamma: tf.randomNormal([c], 1, 0.5, 'float32', 7) as tf.Tensor1D,
    mean: tf.randomNormal([c], 3, 0.1, 'float32', 8) as tf.Tensor1D,
    invstd: tf.randomUniform([c], 0.3, 1.5, 'float32', 9) as tf.Tensor1D,
  };
}

const run = (name: string, inputs: tf.NamedTensorMap): tf.Tensor[] => {
  const out = tf.engine().runKernel(name, inputs);
  return Array.isArray(out) ? out : [out];
};

describe.skipIf(!native && !process.env.CI)('BatchNorm loops with the channel count fixed', () => {
  it.each(kernels.flatMap(([name, inputs]) => shapes.map((s) => [name, s, inputs] as const)))('%s %j: switch on and off, bit for bit', (name, shape, inputs) => {
    const o = operands(shape);
    const before = tf.memory().numTensors;
    const on = run(name, inputs(o));
    process.env[SWITCH] = '0';
    const off = run(name, inputs(o));
    expect(on.length).toBe(off.length);
    on.forEach((t, i) => expect(tensorBits(t), `output ${i}`).toEqual(tensorBits(off[i]!)));
    // Not all zeros or constant: the outputs carry data.
    expect(new Set(on[0]!.dataSync()).size).toBeGreaterThan(1);
    tf.dispose([...on, ...off]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(o));
  });

  it.each(shapes)('moments and the BatchNorm gradient %j are within float32 rounding of a float64 reference', (...shape) => {
    const o = operands(shape);
    const c = shape[3]!;
    const m = shape[0]! * shape[1]! * shape[2]!;
    const [mean, variance] = run(BN_MOMENTS, { x: o.x });
    const [dx, dgamma, dbeta] = run(BN_GRAD, { dy: o.dy, x: o.x, mean: mean!, invstd: o.invstd, gamma: o.gamma });
    const x = o.x.dataSync();
    const dy = o.dy.dataSync();
    const mu = new Float64Array(c);
    const v = new Float64Array(c);
    for (let r = 0; r < m; r++) for (let k = 0; k < c; k++) mu[k]! += x[r * c + k]! / m;
    for (let r = 0; r < m; r++) for (let k = 0; k < c; k++) v[k]! += (x[r * c + k]! - mu[k]!) ** 2 / m;
    const meanF = mean!.dataSync();
    const inv = o.invstd.dataSync();
    const gam = o.gamma.dataSync();
    const sdy = new Float64Array(c);
    const sdyx = new Float64Array(c);
    for (let r = 0; r < m; r++)
      for (let k = 0; k < c; k++) {
        sdy[k]! += dy[r * c + k]!;
        sdyx[k]! += dy[r * c + k]! * (x[r * c + k]! - meanF[k]!);
      }
    for (let k = 0; k < c; k++) {
      expect(Math.abs(meanF[k]! - mu[k]!)).toBeLessThan(4e-7 * Math.abs(mu[k]!));
      expect(Math.abs(variance!.dataSync()[k]! - v[k]!)).toBeLessThan(1e-5 * v[k]!);
      expect(Math.abs(dbeta!.dataSync()[k]! - sdy[k]!)).toBeLessThan(1e-6 * (1 + Math.abs(sdy[k]!)));
      expect(Math.abs(dgamma!.dataSync()[k]! - inv[k]! * sdyx[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(inv[k]! * sdyx[k]!)));
    }
    // dx row 0 against the float64 formula
    const dxv = dx!.dataSync();
    for (let k = 0; k < c; k++) {
      const dg = inv[k]! * sdyx[k]!;
      const want = (gam[k]! * inv[k]!) / m * (m * dy[k]! - sdy[k]! - (x[k]! - meanF[k]!) * inv[k]! * dg);
      expect(Math.abs(dxv[k]! - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)));
    }
    tf.dispose([mean!, variance!, dx!, dgamma!, dbeta!, ...Object.values(o)]);
  });
});
