import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { batchNormTrain } from '../../src-main/engine/ops/batch-norm.ts';
import { convBiasRelu, foldBatchNorm } from '../../src-main/engine/ops/conv-bn-relu.ts';
import { registerEngineKernels } from '../../src-main/engine/kernels/index.ts';
import { jsHelperRunning } from '../../src-main/engine/kernels/js-parallel.ts';
import { batchNormKernels } from '../../src-main/engine/kernels/batch-norm-kernels.ts';

/** 'fused': our JS kernels serve the backend; 'composed': the broadcasting tf-op fallback (as on native tensorflow). */
function useKernels(backend: string, mode: 'fused' | 'composed'): void {
  if (mode === 'fused') {
    if (backend === 'cpu') registerEngineKernels('cpu');
    return;
  }
  for (const make of batchNormKernels) {
    const name = make(backend).kernelName;
    if (tf.getKernel(name, backend)) tf.unregisterKernel(name, backend);
  }
}

/** The textbook composition, differentiated by tfjs's own gradients. */
function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.batchNorm(x, mean, variance, beta, gamma, eps);
}

function gradsOf(
  f: (x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor,
  x: tf.Tensor,
  g: tf.Tensor1D,
  b: tf.Tensor1D,
  dy: tf.Tensor,
): number[][] {
  return tf.tidy(() => {
    const grads = tf.grads((a, c, d) => f(a, c as tf.Tensor1D, d as tf.Tensor1D))([x, g, b], dy);
    return grads.map((t) => Array.from(t.dataSync()));
  });
}

function maxDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe('batchNormTrain', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it.each([
    ['wasm', 'fused', [4, 5, 5, 3]],
    ['wasm', 'fused', [6, 7]],
    // Large enough (>= 65536 elements) for the rows to be split with the helper thread.
    ['wasm', 'fused', [8, 32, 32, 32]],
    ['cpu', 'composed', [4, 5, 5, 3]],
    ['cpu', 'composed', [3, 4, 6]],
    ['cpu', 'fused', [4, 5, 5, 3]],
    ['cpu', 'fused', [3, 4, 6]],
  ] as const)('%s %s %j: forward and gradients match tf.batchNorm autodiff', async (backend, mode, shape) => {
    await tf.setBackend(backend);
    useKernels(backend, mode);
    const eps = 1e-3;
    const c = shape[shape.length - 1]!;
    // Values well away from zero mean / unit variance so every term matters.
    const x = tf.add(tf.mul(tf.randomNormal([...shape], 0, 1, 'float32', 1), 3), 2);
    const gamma = tf.randomUniform([c], 0.5, 1.5, 'float32', 2) as tf.Tensor1D;
    const beta = tf.randomUniform([c], -1, 1, 'float32', 3) as tf.Tensor1D;
    const dy = tf.randomNormal([...shape], 0, 1, 'float32', 4);

    const ours = batchNormTrain(x, gamma, beta, eps);
    const ref = reference(x, gamma, beta, eps);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const moments = tf.moments(x, axes);
    // y and the variance are O(1)-O(10); float32 sums of up to 8192 terms in different orders
    // (cpu reference: sequential; ours: float64, split across threads): 1e-4 absolute covers them.
    expect(maxDiff(Array.from(ours.y.dataSync()), Array.from(ref.dataSync()))).toBeLessThan(1e-4);
    expect(maxDiff(Array.from(ours.mean.dataSync()), Array.from(moments.mean.dataSync()))).toBeLessThan(1e-5);
    expect(maxDiff(Array.from(ours.variance.dataSync()), Array.from(moments.variance.dataSync()))).toBeLessThan(1e-4);

    const [dxA, dgA, dbA] = gradsOf((a, g, b) => batchNormTrain(a, g, b, eps).y, x, gamma, beta, dy);
    const [dxB, dgB, dbB] = gradsOf((a, g, b) => reference(a, g, b, eps), x, gamma, beta, dy);
    expect(maxDiff(dxA!, dxB!)).toBeLessThan(1e-4);
    expect(maxDiff(dgA!, dgB!)).toBeLessThan(1e-3);
    expect(maxDiff(dbA!, dbB!)).toBeLessThan(1e-3);
    // The gradient must not be trivially zero (a test that cannot fail is no test).
    expect(dxA!.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(1e-3);
    tf.dispose([x, gamma, beta, dy, ours.y, ours.mean, ours.variance, ref, moments.mean, moments.variance]);
    await tf.setBackend('wasm');
  });

  it('splits large BatchNorm loops with a helper thread on multi-threaded wasm', async () => {
    const info = await initEngine({ backend: 'wasm' });
    expect(jsHelperRunning()).toBe(info.threads > 1);
  });

  it('rejects gamma of the wrong length, naming the shapes', () => {
    const x = tf.zeros([2, 3, 3, 4]);
    expect(() => batchNormTrain(x, tf.ones([3]), tf.zeros([4]))).toThrow(/gamma \[3\].*\[4\]/);
  });
});

describe('foldBatchNorm + convBiasRelu (inference)', () => {
  it.each(['wasm', 'cpu'] as const)('%s: equals conv -> batchNorm -> relu with running statistics', async (backend) => {
    await initEngine({ backend: 'wasm' });
    await tf.setBackend(backend);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, 3, 5], 0, 0.5, 'float32', 2) as tf.Tensor4D;
    const gamma = tf.randomUniform([5], 0.5, 1.5, 'float32', 3) as tf.Tensor1D;
    const beta = tf.randomUniform([5], -1, 1, 'float32', 4) as tf.Tensor1D;
    const mean = tf.randomUniform([5], -1, 1, 'float32', 5) as tf.Tensor1D;
    const variance = tf.randomUniform([5], 0.5, 2, 'float32', 6) as tf.Tensor1D;
    const want = tf.relu(tf.batchNorm4d(tf.conv2d(x, k, 2, 'same'), mean, variance, beta, gamma, 1e-5));
    const folded = foldBatchNorm(k, gamma, beta, mean, variance, 1e-5);
    const got = convBiasRelu(x, folded, 2, 'same', true);
    // 27-term float32 dot products of O(1) values, rescaled: 1e-4 is ~1000 ulps of slack.
    expect(maxDiff(Array.from(got.dataSync()), Array.from(want.dataSync()))).toBeLessThan(1e-4);
    expect(Array.from(want.dataSync()).some((v) => v > 0)).toBe(true);
    tf.dispose([x, k, gamma, beta, mean, variance, want, got, folded.kernel, folded.bias]);
    await tf.setBackend('wasm');
  });
});
