/**
 * End to end: training the registry's ResNet-20 on the wasm engine (our
 * kernels, fused BatchNorm, gather gradients) follows the same trajectory as
 * on the cpu backend (tfjs' reference kernels, BatchNorm through batchNormTrain's
 * composed fallback when its fused kernels are not registered for cpu).
 */
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward, updateRunningStats, type BatchStats } from '../../src-main/nn/forward.ts';
import { disposeModel, trainableVariables } from '../../src-main/nn/init.ts';

/** Losses of `steps` SGD steps, and the live tensor count after each step. */
function trainLosses(steps: number): { losses: number[]; tensors: number[] } {
  const model = createModel('resnet20', { inputSize: [8, 8] }, 3);
  const vars = trainableVariables(model);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10));
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const stats: BatchStats = new Map();
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(model, x, { training: true, batchStats: stats }).logits) as tf.Scalar, true, vars)!;
    updateRunningStats(model, stats);
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    tensors.push(tf.memory().numTensors);
  }
  tf.dispose([x, labels]);
  optimizer.dispose();
  disposeModel(model);
  return { losses, tensors };
}

describe('registry ResNet-20 training on wasm', () => {
  it('matches the cpu backend step for step', async () => {
    await initEngine({ backend: 'wasm' });
    const { losses: wasm, tensors } = trainLosses(4);
    // The first step creates the optimizer's slots; after that nothing accumulates.
    expect(new Set(tensors).size).toBe(1);
    await tf.setBackend('cpu');
    const { losses: cpu } = trainLosses(4);
    await tf.setBackend('wasm');
    // Same seeds, same math; only float32 summation order differs. After a few
    // steps those differences grow but stay far below a wrong-gradient error,
    // which changes the loss by O(0.1) within a step or two.
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]!))));
    expect(wasm[3]!).toBeLessThan(wasm[0]!);
  });
});
