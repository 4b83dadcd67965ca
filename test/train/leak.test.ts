import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { expectedWeights } from '../../src-main/nn/graph.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { Sgd } from '../../src-main/train/sgd.ts';
import { trainStep } from '../../src-main/train/step.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { mulberry32 } from '../../src-main/common/random.ts';

describe('training loop', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it('runs 100 steps (with masking and PatchShuffle) without leaking tensors, and learns', () => {
    const model = createModel('resnet20', { inputSize: [4, 4], channels: 1, numClasses: 2, widthMultiplier: 0.125, patchShuffle: { probability: 0.5, at: ['input'] } }, 1);
    const params = new Map(expectedWeights(model.spec).filter((w) => w.trainable).map((w) => [w.name, model.weights.get(w.name) as tf.Variable]));
    const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const rng = mulberry32(3);
    const batch = (): { data: Float32Array; labels: Int32Array; n: number } => {
      const n = 8;
      const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
      const data = Float32Array.from({ length: n * 16 }, (_, k) => (labels[Math.floor(k / 16)]! ? 1 : -1) + rng() - 0.5);
      return { data, labels, n };
    };
    let counts: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 100; step++) {
      const r = trainStep(model, params, sgd, batch(), [4, 4, 1], 0.05, step);
      losses.push(r.loss);
      if (step % 25 === 24) applySfpMask(model, selectLayers(model.spec, 0.3));
      counts.push(tf.memory().numTensors);
    }
    // After the first step (momentum buffers created), the count must not move.
    counts = counts.slice(1);
    expect(Math.max(...counts)).toBe(Math.min(...counts));
    expect(losses.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(losses.slice(0, 10).reduce((a, b) => a + b) / 10);
    sgd.dispose();
    disposeModel(model);
  });
});

describe('learning rate', () => {
  it('follows warm-up, step and cosine schedules', async () => {
    const { learningRate } = await import('../../src-main/train/lr-schedule.ts');
    const optimizer = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0 };
    const step = { optimizer, epochs: 200, schedule: { kind: 'step' as const, milestones: [60, 120, 160], gamma: 0.2 }, warmup: { epochs: 1, lr: 0.01 } };
    expect(learningRate(step, 0, 5, 10)).toBe(0.01);
    expect(learningRate(step, 1, 0, 10)).toBe(0.1);
    expect(learningRate(step, 60, 0, 10)).toBeCloseTo(0.02, 12);
    expect(learningRate(step, 170, 0, 10)).toBeCloseTo(0.1 * 0.2 ** 3, 12);
    const cosine = { optimizer, epochs: 4, schedule: { kind: 'cosine' as const, minLr: 0 }, warmup: { epochs: 1 } };
    expect(learningRate(cosine, 0, 9, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate(cosine, 1, 0, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate(cosine, 3, 9, 10)).toBeLessThan(0.001);
  });
});
