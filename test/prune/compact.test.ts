import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { applySfpMask, filterNorms } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel, type CompactOptions } from '../../src-main/prune/compact.ts';
import { countCost } from '../../src-main/prune/flops.ts';
import type { ModelOptionsInput } from '../../src-main/common/contract/models.ts';
import { randomiseBatchNorm, variants } from './fixtures.ts';

describe('hard pruning', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it.each(variants())('%s (%j): the compact model outputs equal the masked model outputs', (name, options) => {
    for (const compactOptions of [{}, { scatter: false, align: 4 }]) checkEqual(name, options, compactOptions);
  });

  function checkEqual(name: string, options: ModelOptionsInput, compactOptions: CompactOptions): void {
    const before = tf.memory().numTensors;
    const model = createModel(name, options, 3);
    randomiseBatchNorm(model, 11);
    applySfpMask(model, selectLayers(model.spec, 0.4));
    const { model: compact, report } = compactModel(model, compactOptions);
    expect(report.layers.some((l) => l.after < l.before)).toBe(true);
    expect(countCost(compact.spec).params).toBeLessThan(countCost(model.spec).params);
    expect(countCost(compact.spec).macs).toBeLessThan(countCost(model.spec).macs);
    const [h, w] = options.inputSize!;
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([3, h, w, options.channels!], 0, 1, 'float32', 5) as tf.Tensor4D;
      const a = forward(model, x, { training: false });
      const b = forward(compact, x, { training: false });
      const scale = tf.max(tf.abs(a.logits)).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0);
      return {
        logits: tf.max(tf.abs(tf.sub(a.logits, b.logits))).dataSync()[0]! / scale,
        features: tf.max(tf.abs(tf.sub(a.features!, b.features!))).dataSync()[0]!,
      };
    });
    expect(diff.logits).toBeLessThan(1e-4);
    expect(diff.features).toBeLessThan(1e-3);
    disposeModel(model);
    disposeModel(compact);
    expect(tf.memory().numTensors).toBe(before);
  }
});

describe('hard pruning twice', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it('a compact model pruned again (constant-input kernels, nested scatters) still equals its masked self', () => {
    const model = createModel('resnet20', { inputSize: [8, 8], channels: 1, numClasses: 3, widthMultiplier: 0.5 }, 4);
    randomiseBatchNorm(model, 21);
    applySfpMask(model, selectLayers(model.spec, 0.3));
    const first = compactModel(model).model;
    applySfpMask(first, selectLayers(first.spec, 0.3));
    const second = compactModel(first).model;
    expect(countCost(second.spec).params).toBeLessThan(countCost(first.spec).params);
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
      return tf.max(tf.abs(tf.sub(forward(first, x, { training: false }).logits, forward(second, x, { training: false }).logits))).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-4);
    [model, first, second].forEach(disposeModel);
  });
});

describe('SFP masking', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it('zeroes floor(N*rate) smallest-norm filters per selected conv and leaves BN untouched', () => {
    const model = createModel('resnet20', { inputSize: [8, 8], channels: 1, widthMultiplier: 1 }, 2);
    const gammaBefore = Array.from(model.weights.get('stem/bn/gamma')!.dataSync());
    const fcBefore = Array.from(model.weights.get('fc/kernel')!.dataSync());
    const normsBefore = filterNorms(model.weights.get('stage2/block1/conv1/kernel')!);
    const records = applySfpMask(model, selectLayers(model.spec, 0.3));
    expect(records.size).toBe(19);
    const r = records.get('stage2/block1/conv1')!;
    expect(r.zeroed.length).toBe(Math.floor(32 * 0.3));
    const threshold = Math.max(...r.zeroed.map((j) => normsBefore[j]!));
    const kept = [...normsBefore].filter((_, j) => !r.zeroed.includes(j));
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(threshold);
    const after = filterNorms(model.weights.get('stage2/block1/conv1/kernel')!);
    for (let j = 0; j < 32; j++) expect(after[j] === 0).toBe(r.zeroed.includes(j));
    expect(records.get('stem/conv')!.zeroed.length).toBe(4);
    expect(Array.from(model.weights.get('stem/bn/gamma')!.dataSync())).toEqual(gammaBefore);
    expect(Array.from(model.weights.get('fc/kernel')!.dataSync())).toEqual(fcBefore);
    disposeModel(model);
  });
});
