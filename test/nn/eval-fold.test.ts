/**
 * Evaluation folds conv -> BatchNorm (-> ReLU) into one conv with bias; it must
 * equal the unfolded computation (frozen BatchNorm in training mode runs the same
 * running-statistics BatchNorm unfolded), refold when weights change and not leak.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { GraphBuilder } from '../../src-main/nn/builder.ts';
import type { GraphSpec } from '../../src-main/nn/graph.ts';
import { forward, type Model } from '../../src-main/nn/forward.ts';
import { foldCacheOf, foldPlan } from '../../src-main/nn/eval-fold.ts';
import { disposeModel, initModel } from '../../src-main/nn/init.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';

function tinySpec(): GraphSpec {
  const g = new GraphBuilder(3);
  const c1 = g.conv('c1', g.input(), 8, { kernel: 3, role: 'stem', bias: true });
  const r1 = g.relu('r1', g.batchNorm('bn1', c1));
  const bn2 = g.batchNorm('bn2', g.conv('c2', r1, 8, { kernel: 3, stride: 1, role: 'block-last' }));
  const r2 = g.relu('r2', g.add('add', bn2, r1));
  // c3's output feeds its BatchNorm and the addition: not foldable.
  const c3 = g.conv('c3', r2, 8, { kernel: 1, role: 'other' });
  const r3 = g.relu('r3', g.add('add3', g.batchNorm('bn3', c3), c3));
  const pool = g.globalAvgPool('pool', r3);
  return g.build({ arch: 'tiny', options: {}, height: 6, width: 5, numClasses: 4, logits: g.dense('fc', pool, 4), features: pool });
}

/** Random running statistics and affine parameters, so the fold is not the identity. */
function randomiseBatchNorms(model: Model, seed: number): void {
  for (const [name, t] of model.weights) {
    const leaf = name.split('/')[1];
    const u = tf.randomUniform(t.shape, 0, 1, 'float32', seed++);
    const value = leaf === 'movingVariance' ? tf.add(u, 0.2) : leaf === 'movingMean' || leaf === 'beta' ? tf.sub(u, 0.5) : leaf === 'gamma' ? tf.add(u, 0.5) : null;
    if (value) (t as tf.Variable).assign(value);
    tf.dispose([u, value ?? []]);
  }
}

/** The unfolded reference: every BatchNorm frozen, training mode (no PatchShuffle in this graph). */
function reference(model: Model, x: tf.Tensor4D): tf.Tensor2D {
  const spec = { ...model.spec, nodes: model.spec.nodes.map((n) => (n.op === 'batchNorm' ? { ...n, frozen: true } : n)) };
  return forward({ spec, weights: model.weights }, x, { training: true }).logits;
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('evaluation BatchNorm folding', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it('folds exactly the conv -> BatchNorm (-> ReLU) chains whose intermediates nobody else reads', () => {
    const plan = foldPlan(tinySpec());
    expect([...plan].map(([conv, c]) => [conv, c.bn.name, c.relu?.name ?? null])).toEqual([
      ['c1', 'bn1', 'r1'],
      ['c2', 'bn2', null],
    ]);
    // c2's chain goes on through the residual add and its ReLU (one conv-tail op).
    expect(plan.get('c2')?.tail).toMatchObject({ add: { name: 'add' }, residual: 'r1', relu: { name: 'r2' } });
    expect(plan.get('c2')?.last).toBe('r2');
  });

  it.each([
    ['resnet20', { inputSize: [8, 8] as [number, number], widthMultiplier: 0.5 }],
    ['resnet18', { inputSize: [32, 32] as [number, number], widthMultiplier: 0.125 }],
  ] as const)('a hard-pruned %s (scatters, constant maps, residual tails) equals its unfolded forward', (name, options) => {
    const masked = createModel(name, options, 4);
    randomiseBatchNorms(masked, 9);
    applySfpMask(masked, selectLayers(masked.spec, 0.4));
    const { model } = compactModel(masked);
    const plan = foldPlan(model.spec);
    expect([...plan.values()].some((c) => c.tail?.scatter && c.tail.add)).toBe(true);
    const [h, w] = options.inputSize;
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const ref = reference(model, x);
      return maxDiff(forward(model, x, { training: false }).logits, ref) / tf.max(tf.abs(ref)).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-5);
    disposeModel(masked);
    disposeModel(model);
  });

  it('equals the unfolded forward, refolds after weight updates and does not leak', () => {
    const start = tf.memory().numTensors;
    const model = initModel(tinySpec(), 7);
    randomiseBatchNorms(model, 1);
    const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const check = (): number =>
      tf.tidy(() => {
        const out = forward(model, x, { training: false });
        expect(out.features?.shape).toEqual([2, 8]);
        return maxDiff(out.logits, reference(model, x));
      });
    expect(check()).toBeLessThan(1e-5);
    expect([...foldCacheOf(model.weights).keys()]).toEqual(['c1', 'c2']);
    const tensors = tf.memory().numTensors;
    expect(check()).toBeLessThan(1e-5);
    // A short-lived Model around the same weights (re-ID's feature-map spec) reuses the fold too.
    tf.tidy(() => {
      forward({ spec: { ...model.spec }, weights: model.weights }, x, { training: false });
    });
    expect(tf.memory().numTensors).toBe(tensors); // folded weights reused, nothing new kept

    // An optimizer step / running-statistics update assigns new data to the same Variables.
    const before = tf.tidy(() => forward(model, x, { training: false }).logits);
    randomiseBatchNorms(model, 50);
    const k = model.weights.get('c1/kernel') as tf.Variable;
    tf.tidy(() => k.assign(tf.mul(k, 1.5)));
    expect(check()).toBeLessThan(1e-5);
    expect(tf.tidy(() => maxDiff(before, forward(model, x, { training: false }).logits))).toBeGreaterThan(1e-3);
    expect(tf.memory().numTensors).toBe(tensors + 1); // `before`; the stale fold was freed

    before.dispose();
    disposeModel(model);
    x.dispose();
    expect(foldCacheOf(model.weights).size).toBe(0);
    expect(tf.memory().numTensors).toBe(start); // disposeModel freed the folded weights too
  });
});
