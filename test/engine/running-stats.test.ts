/**
 * The BatchNorm running-statistics update as one kernel (engine/ops/running-stats.ts, native
 * `EngineRunningStatsUpdate`) gives the bits of its TF.js ops (`WORKBENCH_NATIVE_RUNNING_STATS=0`):
 * the op alone at several widths, and nn/forward.ts' updateRunningStats after a ResNet-20 training
 * forward pass (every running mean and variance), with the kernel running on one side only and no
 * tensor left behind.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { RUNNING_STATS_UPDATE, runningStatsUpdate } from '../../src-main/engine/ops/running-stats.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward, updateRunningStats } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { startWasmNative, tensorBits } from './wasm-native.ts';

const SWITCH = 'WORKBENCH_NATIVE_RUNNING_STATS';

const native = await startWasmNative('EngineRunningStatsUpdate', () => tf.getKernel(RUNNING_STATS_UPDATE, 'wasm') != null, [SWITCH]);

describe.skipIf(!native && !process.env.CI)('fused running statistics', () => {
  it.each([[16], [13], [64]])('the op equals its TF.js ops bit for bit, %d channels', (c) => {
    const t = [1, 2, 3, 4].map((seed) => tf.randomUniform([c], 0.1, 3, 'float32', seed));
    const attrs = { keep: 1 - 0.1, a: 0.1, b: 0.1 * (2048 / 2047) };
    const on = runningStatsUpdate(t[0]!, t[1]!, t[2]!, t[3]!, attrs);
    process.env[SWITCH] = '0';
    const off = runningStatsUpdate(t[0]!, t[1]!, t[2]!, t[3]!, attrs);
    on.forEach((x, i) => expect(tensorBits(x), `output ${i}`).toEqual(tensorBits(off[i]!)));
    expect(tensorBits(on[0]!)).not.toEqual(tensorBits(t[0]!)); // moved
    tf.dispose([...t, ...on, ...off]);
  });

  it('updateRunningStats after a ResNet-20 training forward: every running statistic the same bits on and off', async () => {
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const run = async (fused: boolean): Promise<{ stats: Map<string, number[]>; kernels: Set<string> }> => {
      if (fused) delete process.env[SWITCH];
      else process.env[SWITCH] = '0';
      const model = createModel('resnet20', { inputSize: [32, 32], channels: 3, numClasses: 10 }, 1);
      const batchStats = new Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }>();
      tf.dispose(forward(model, x, { training: true, batchStats }).logits);
      // what is left after the update: everything but the batch statistics it disposes
      const before = tf.memory().numTensors - 2 * batchStats.size;
      const p = await tf.profile(() => {
        updateRunningStats(model, batchStats);
        return [];
      });
      expect(tf.memory().numTensors).toBe(before);
      const stats = new Map([...model.weights].filter(([k]) => /moving(Mean|Variance)$/.test(k)).map(([k, v]) => [k, tensorBits(v)]));
      disposeModel(model);
      return { stats, kernels: new Set(p.kernels.map((k) => k.name)) };
    };
    const on = await run(true);
    const off = await run(false);
    expect(on.kernels.has(RUNNING_STATS_UPDATE)).toBe(true);
    expect(off.kernels.has(RUNNING_STATS_UPDATE)).toBe(false);
    expect(on.stats.size).toBeGreaterThan(30); // 19 BatchNorms, two statistics each
    expect(on.stats).toEqual(off.stats);
    x.dispose();
  });
});
