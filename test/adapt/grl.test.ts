import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { gradientReversal, grlCoefficient } from '../../src-main/adapt/grl.ts';

describe('gradientReversal', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it.each([0, 0.5, 1])('forward is the identity, backward multiplies the gradient by -lambda (lambda %s)', (lambda) => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [0.5, 4, -1],
    ]);
    const w = tf.tensor2d([
      [2, 3, -1],
      [1, 0.25, 5],
    ]);
    const y = gradientReversal(x, lambda);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    // d/dx sum(w * grl(x)) = -lambda * w
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(w, gradientReversal(t, lambda))))(x);
    const expected = Array.from(w.dataSync()).map((v) => -lambda * v);
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    tf.dispose([x, w, y, g]);
  });

  it('leaves nothing behind but the gradient it returns', () => {
    const before = tf.memory().numTensors;
    const x = tf.ones([3]);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(gradientReversal(t, 0.3)))(x));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('grlCoefficient', () => {
  it('follows 2/(1+exp(-10p))-1: 0 at the start, near 1 at the end, increasing, clamped', () => {
    expect(grlCoefficient(0)).toBe(0);
    expect(grlCoefficient(0.5)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 12);
    expect(grlCoefficient(1)).toBeCloseTo(0.99991, 5);
    expect(grlCoefficient(0.2)).toBeLessThan(grlCoefficient(0.3));
    expect(grlCoefficient(2)).toBe(grlCoefficient(1));
    expect(grlCoefficient(-1)).toBe(0);
  });
});
