import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { HistoryPool } from '../../src-main/spgan/history-pool.ts';
import { contrastive, discriminatorLoss, lsgan } from '../../src-main/spgan/losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A batch of 1x1x1 images whose single pixel is the given value. */
const batch = (values: number[]): tf.Tensor4D => tf.tensor4d(values, [values.length, 1, 1, 1]);
const pixels = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('history pool', () => {
  it('stores until full, then swaps a random stored image half the time', () => {
    const draws = [0.9, 0.0, 0.2, 0.7, 0.99];
    const pool = new HistoryPool(2, () => draws.shift() ?? 0);
    const first = pool.query(batch([1, 2]));
    expect(pixels(first)).toEqual([1, 2]); // filling: new images pass through and are stored
    expect(pool.length).toBe(2);
    // image 3: draw 0.9 > 0.5 -> swap; slot floor(0.0 * 2) = 0 -> returns stored 1, pool [3, 2]
    // image 4: draw 0.2 -> returned as is, not stored
    const second = pool.query(batch([3, 4]));
    expect(pixels(second)).toEqual([1, 4]);
    // image 5: draw 0.7 -> swap; slot floor(0.99 * 2) = 1 -> returns stored 2, pool [3, 5]
    const third = pool.query(batch([5]));
    expect(pixels(third)).toEqual([2]);
    // image 6: draws exhausted -> 0 -> passes through; the pool still holds 3 and 5
    const fourth = pool.query(batch([6]));
    expect(pixels(fourth)).toEqual([6]);
    expect(pool.length).toBe(2);
    tf.dispose([first, second, third, fourth]);
    const before = tf.memory().numTensors;
    pool.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('size 0 returns the batch itself (a copy the caller owns) and stores nothing', () => {
    const pool = new HistoryPool(0, () => 0.9);
    const b = batch([7, 8]);
    const before = tf.memory().numTensors;
    const out = pool.query(b);
    expect(pixels(out)).toEqual([7, 8]);
    expect(pool.length).toBe(0);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
  });
});

describe('losses on hand-made values', () => {
  it('contrastive: positive d^2, negative max(0, m - d)^2, batch mean', () => {
    // pair 1 identical (d = 0), pair 2 orthogonal unit vectors (d = sqrt 2), pair 3 opposite (d = 2)
    const a = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
    const b = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    // positive: (0 + 2 + 4) / 3 = 2
    expect(contrastive(a, b, true, 2).dataSync()[0]).toBeCloseTo(2, 5);
    // negative, m = 2: ((2-0)^2 + (2-sqrt2)^2 + 0) / 3 = (4 + 0.3431458) / 3 = 1.4477153
    expect(contrastive(a, b, false, 2).dataSync()[0]).toBeCloseTo(1.4477153, 5);
    // negative, m = 1: only the identical pair is inside the margin: 1 / 3
    expect(contrastive(a, b, false, 1).dataSync()[0]).toBeCloseTo(1 / 3, 5);
  });

  it('LSGAN: discriminator 0.5 * [(D(real)-1)^2 + D(fake)^2], generator (D(fake)-1)^2', () => {
    const real = tf.tensor([1, 0.5]); // (0 + 0.25)/2 = 0.125
    const fake = tf.tensor([0, 1]); // (0 + 1)/2 = 0.5
    expect(discriminatorLoss(real, fake).dataSync()[0]).toBeCloseTo(0.5 * (0.125 + 0.5), 6);
    expect(lsgan(fake, 1).dataSync()[0]).toBeCloseTo((1 + 0) / 2, 6);
  });
});

describe('fused InstanceNorm', () => {
  // On cpu this is the tf-op path of engine/ops/instance-norm.ts (the native kernels are
  // checked against the same reference in test/engine/native-kernels.test.ts).
  it.each(['none', 'relu', 'leaky'] as const)('with activation %s matches the autodiff reference in value and gradient', async (act) => {
    const { instanceNorm, instanceNormReference } = await import('../../src-main/nn/layers.ts');
    const { ensureGradients } = await import('../../src-main/engine/start.ts');
    await ensureGradients();
    const x = tf.randomNormal([2, 5, 3, 4], 1, 2, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([2, 5, 3, 4], 0, 1, 'float32', 4);
    const reference = (t: tf.Tensor4D): tf.Tensor4D => {
      const y = instanceNormReference(t);
      return act === 'relu' ? tf.relu(y) : act === 'leaky' ? tf.leakyRelu(y, 0.2) : y;
    };
    const fused = (t: tf.Tensor4D): tf.Tensor4D => instanceNorm(t, act);
    // A weighted sum makes the upstream gradient non-uniform (a plain sum of a normalised map has zero gradient).
    const loss = (f: (t: tf.Tensor4D) => tf.Tensor4D) => (t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), w));
    const [gFused, gRef] = [tf.grad(loss(fused))(x), tf.grad(loss(reference))(x)];
    const diff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(diff(fused(x), reference(x))).toBeLessThan(1e-5);
    expect(diff(gFused, gRef)).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(gRef)).dataSync()[0]).toBeGreaterThan(0.01);
  });
});
