/**
 * The "soft" part of SFP as methods.md states it and the PyTorch faithfulness
 * check (BENCHMARKS.md, Pruning) relies on: the mask zeroes only conv weights,
 * BN and optimizer state stay untouched, and zeroed filters keep training:
 * through BatchNorm, a zeroed channel's input gradient is scaled by
 * gamma/sqrt(eps), so they regrow far faster than a live filter moves.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { expectedWeights } from '../../src-main/nn/graph.ts';
import { applySfpMask, filterNorms } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { Sgd } from '../../src-main/train/sgd.ts';
import { trainStep } from '../../src-main/train/step.ts';

beforeAll(async () => {
  await useCpu();
});

describe('SFP soft masking', () => {
  it('zeroes floor(N*rate) smallest filters of every conv, leaves BN alone, and the zeroed filters regrow in one SGD step', () => {
    const model = createModel('resnet20', { inputSize: [8, 8], channels: 1, numClasses: 4 }, 3);
    try {
      const layers = selectLayers(model.spec, 0.3);
      expect(layers.size).toBe(19);
      const bnBefore = new Map([...model.weights].filter(([k]) => /\/bn\d?\//.test(k)).map(([k, v]) => [k, Array.from(v.dataSync())]));
      const records = applySfpMask(model, layers);
      for (const [conv, rec] of records) {
        const n = rec.norms.length;
        expect(rec.zeroed.length).toBe(Math.floor(n * 0.3));
        const maxZeroed = Math.max(...rec.zeroed.map((j) => rec.norms[j]!));
        const minKept = Math.min(...rec.norms.filter((_, j) => !rec.zeroed.includes(j)));
        expect(maxZeroed).toBeLessThanOrEqual(minKept);
        const after = filterNorms(model.weights.get(`${conv}/kernel`)!);
        for (const j of rec.zeroed) expect(after[j]).toBe(0);
      }
      for (const [k, v] of bnBefore) expect(Array.from(model.weights.get(k)!.dataSync())).toEqual(v);

      const params = new Map(expectedWeights(model.spec).filter((w) => w.trainable).map((w) => [w.name, model.weights.get(w.name) as tf.Variable]));
      const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
      const n = 16;
      const data = Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11));
      const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
      trainStep(model, params, sgd, { data, labels, n }, [8, 8, 1], 0.01, 1);
      // A block's last conv: its BN output reaches the loss through the residual add. (A zeroed stem or
      // first conv of a block feeds BN -> ReLU with beta 0 at init: ReLU's zero gradient at 0 leaves it dead.)
      const conv = 'stage1/block1/conv2';
      const rec = records.get(conv)!;
      const regrown = filterNorms(model.weights.get(`${conv}/kernel`)!);
      const buffer = filterNorms(sgd.buffers.get(`${conv}/kernel`)!);
      const kept = rec.norms.map((_, j) => j).filter((j) => !rec.zeroed.includes(j));
      // Momentum is not masked, and the zeroed filters moved far more than any live one (x1/sqrt(eps) through BN).
      const moved = (j: number): number => Math.abs(regrown[j]! - rec.norms[j]! * (rec.zeroed.includes(j) ? 0 : 1));
      for (const j of rec.zeroed) {
        expect(regrown[j]).toBeGreaterThan(0);
        expect(buffer[j]).toBeGreaterThan(0);
      }
      expect(Math.min(...rec.zeroed.map(moved))).toBeGreaterThan(10 * Math.max(...kept.map(moved)));
      sgd.dispose();
    } finally {
      disposeModel(model);
    }
  });
});
