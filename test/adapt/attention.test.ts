import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { attentionMap, attentionAlignmentLoss } from '../../src-main/adapt/attention.ts';

describe('attention maps and their alignment', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it('pools squared activations over channels and L2-normalises each image', () => {
    // One image, 1x2 spatial, 2 channels: pooled = [1+4, 9+0] = [5, 9], norm sqrt(106).
    const a = tf.tensor4d([1, 2, 3, 0], [1, 1, 2, 2]);
    const m = attentionMap(a);
    const n = Math.sqrt(106);
    expect(m.shape).toEqual([1, 2]);
    const v = m.dataSync();
    expect(v[0]).toBeCloseTo(5 / n, 6);
    expect(v[1]).toBeCloseTo(9 / n, 6);
    tf.dispose([a, m]);
  });

  it('is zero for identical or rescaled activations, positive when the maps differ, and differentiable', () => {
    const a = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.mul(a, 3) as tf.Tensor4D;
    const c = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const same = attentionAlignmentLoss([a], [b]);
    const differ = attentionAlignmentLoss([a, a], [c, b]);
    expect(same.dataSync()[0]).toBeCloseTo(0, 4);
    expect(differ.dataSync()[0]).toBeGreaterThan(0.01);
    const g = tf.grad((x: tf.Tensor) => attentionAlignmentLoss([x as tf.Tensor4D], [c]))(a);
    expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    tf.dispose([a, b, c, same, differ, g]);
  });

  it('names a stage whose shapes differ and refuses unequal stage counts', () => {
    const a = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const b = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    expect(() => attentionAlignmentLoss([a], [b])).toThrow(/stage 0 shapes differ/);
    expect(() => attentionAlignmentLoss([a], [])).toThrow(/same non-zero number of stages/);
    tf.dispose([a, b]);
  });
});
