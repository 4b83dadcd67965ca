import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { balancedSoftLabels, emSoftLabels, softCrossEntropy } from '../../src-main/adapt/em-soft-labels.ts';

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

describe('balancedSoftLabels', () => {
  it('where the EM collapses onto the class a near-chance model slightly prefers, holds every class at its source share', () => {
    // 3 classes, uniform source prior; a model near chance on the target that leans a little to class 0 on every image.
    const k = 3;
    const rows: number[] = [];
    for (let i = 0; i < 30; i++) rows.push(...(i % 3 === 0 ? [0.4, 0.35, 0.25] : i % 3 === 1 ? [0.38, 0.37, 0.25] : [0.36, 0.3, 0.34]));
    const probs = Float32Array.from(rows);
    const em = emSoftLabels(probs, k, [1 / 3, 1 / 3, 1 / 3], 1000, 1e-9);
    expect(em.prior[0]).toBeGreaterThan(0.9); // the collapse this guards against
    const b = balancedSoftLabels(probs, k, [1 / 3, 1 / 3, 1 / 3], 1000, 1e-9);
    for (let c = 0; c < k; c++) expect(b.prior[c]).toBeCloseTo(1 / 3, 5);
    // Each image's soft label still ranks the classes as the model does: the first kind of image is class 0's most.
    expect(b.posteriors[0]!).toBeGreaterThan(b.posteriors[3]!);
    expect(b.posteriors[8]!).toBeGreaterThan(b.posteriors[2]!); // the third kind of image: class 2 more than the first kind gets
    for (let i = 0; i < 30; i++) expect(b.posteriors[k * i]! + b.posteriors[k * i + 1]! + b.posteriors[k * i + 2]!).toBeCloseTo(1, 5);
  });

  it('keeps a non-uniform prior: the mean posterior equals it', () => {
    const probs = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.5, 0.5]);
    const b = balancedSoftLabels(probs, 2, [0.25, 0.75], 1000, 1e-9);
    const mean0 = (b.posteriors[0]! + b.posteriors[2]! + b.posteriors[4]! + b.posteriors[6]!) / 4;
    expect(mean0).toBeCloseTo(0.25, 5);
    expect(b.prior[1]).toBeCloseTo(0.75, 5);
  });

  it.each([
    [Float32Array.from([0.5, 0.5, 1]), 2, [0.5, 0.5], /probs: length 3/],
    [Float32Array.from([0.5, 0.5]), 2, [1], /prior: 1 entries for 2 classes/],
  ])('refuses bad input, naming the field (%#)', (probs, k, prior, message) => {
    expect(() => balancedSoftLabels(probs, k, prior)).toThrow(message);
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
