import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { emSoftLabels, softCrossEntropy } from '../../src-main/adapt/em-soft-labels.ts';

describe('emSoftLabels', () => {
  it('converges to the maximum-likelihood target prior and shifts the posteriors towards it; rows sum to 1', () => {
    // Source prior uniform over 2 classes; the network is 80% sure per image.
    // Target: 7 images look like class 0, 3 like class 1. The likelihood
    // sum_i log(pi p_i0 + (1 - pi) p_i1) is maximal where 7(0.8 - 0.6 pi) = 3(0.2 + 0.6 pi): pi = 5/6.
    const rows: number[] = [];
    for (let i = 0; i < 7; i++) rows.push(0.8, 0.2);
    for (let i = 0; i < 3; i++) rows.push(0.2, 0.8);
    const { posteriors, prior, iterations } = emSoftLabels(Float32Array.from(rows), 2, [0.5, 0.5], 1000, 1e-9);
    expect(prior[0]).toBeCloseTo(5 / 6, 3);
    expect(prior[0]! + prior[1]!).toBeCloseTo(1, 6);
    expect(iterations).toBeGreaterThan(1);
    expect(posteriors[0]).toBeGreaterThan(0.8); // sharpened towards the frequent class
    // A class-1-looking image: (5/6 * 0.4) / (5/6 * 0.4 + 1/6 * 1.6) = 5/9 for class 0.
    expect(posteriors[14]).toBeCloseTo(5 / 9, 4);
    for (let i = 0; i < 10; i++) expect(posteriors[2 * i]! + posteriors[2 * i + 1]!).toBeCloseTo(1, 5);
  });

  it('leaves posteriors as they are when the target matches the source prior', () => {
    const probs = Float32Array.from([0.7, 0.3, 0.3, 0.7]);
    const { posteriors, prior } = emSoftLabels(probs, 2, [0.5, 0.5]);
    Array.from(posteriors).forEach((v, i) => expect(v).toBeCloseTo(probs[i]!, 5));
    expect(prior[0]).toBeCloseTo(0.5, 5);
  });

  it.each([
    [Float32Array.from([0.5, 0.5, 1]), 2, [0.5, 0.5], /probs: length 3/],
    [Float32Array.from([0.5, 0.5]), 2, [1], /sourcePrior: 1 entries for 2 classes/],
    [new Float32Array(0), 2, [0.5, 0.5], /probs: no target images/],
  ])('refuses bad input, naming the field (%#)', (probs, k, prior, message) => {
    expect(() => emSoftLabels(probs, k, prior)).toThrow(message);
  });
});

describe('softCrossEntropy', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it('equals hard cross-entropy for one-hot targets and -sum q log p in general', () => {
    const logits = tf.tensor2d([[2, 0, -1]]);
    const p = Array.from(tf.softmax(logits).dataSync());
    const hard = softCrossEntropy(logits, tf.tensor2d([[0, 1, 0]]));
    expect(hard.dataSync()[0]).toBeCloseTo(-Math.log(p[1]!), 5);
    const soft = softCrossEntropy(logits, tf.tensor2d([[0.5, 0.5, 0]]));
    expect(soft.dataSync()[0]).toBeCloseTo(-0.5 * Math.log(p[0]!) - 0.5 * Math.log(p[1]!), 5);
  });
});
