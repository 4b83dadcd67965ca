/**
 * Filter importance criteria: one interface, one registry. A criterion scores
 * every output filter of a conv; the floor(N*rate) LOWEST scores are pruned
 * (ties by index, see `smallestFilters`). Kernels are in TF.js layout
 * [kh, kw, in, out]: filter j is the column j of the kernel reshaped to
 * [kh*kw*in, out].
 *
 * - `l2` (SFP): ||F_j||_2.
 * - `l1`: ||F_j||_1.
 * - `fpgm` (FPGM, He et al. CVPR 2019): sum_k ||F_j - F_k||_2. The filter with
 *   the smallest sum is the one closest to the layer's geometric median: the
 *   most replaceable by the others, so it goes first.
 * - `bn-scale` (network slimming): |gamma_j| of the BatchNorm right after the conv.
 * - `taylor` (first-order Taylor, after Molchanov et al. 2019): |sum over the
 *   parameters of F_j of G * W|, G the gradient summed over the batches since
 *   the last mask (or over a gradient pass when there is none), W the weight at
 *   mask time. This is |sum over batches of dL/dF_j . F_j|, the first-order
 *   estimate of the loss change from removing the filter, summed before the
 *   absolute value so noise across batches cancels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PruneCriterion } from '../common/contract/prune.ts';
import { bnAfter } from './selection.ts';
import type { Model } from '../nn/forward.ts';

export { bnAfter };

export interface ImportanceInput {
  /** [kh, kw, in, out] */
  kernel: tf.Tensor;
  /** gamma of the BatchNorm after the conv, [out] (bn-scale). */
  gamma?: tf.Tensor;
  /** The kernel's gradient summed over batches, same shape as the kernel (taylor). */
  gradSum?: tf.Tensor;
}

export interface ImportanceCriterion {
  name: PruneCriterion;
  /** What the criterion reads besides the kernel. */
  needs: 'kernel' | 'bn' | 'gradients';
  /** One score per output filter; the lowest are pruned. */
  score(input: ImportanceInput): Float32Array;
}

function columns(kernel: tf.Tensor): tf.Tensor2D {
  return tf.reshape(kernel, [-1, kernel.shape[kernel.rank - 1]!]);
}

function read(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

export const importanceCriteria: Readonly<Record<PruneCriterion, ImportanceCriterion>> = {
  l2: { name: 'l2', needs: 'kernel', score: ({ kernel }) => tf.tidy(() => read(tf.sqrt(tf.sum(tf.square(columns(kernel)), 0)))) },
  l1: { name: 'l1', needs: 'kernel', score: ({ kernel }) => tf.tidy(() => read(tf.sum(tf.abs(columns(kernel)), 0))) },
  fpgm: {
    name: 'fpgm',
    needs: 'kernel',
    score: ({ kernel }) =>
      tf.tidy(() => {
        const f = tf.transpose(columns(kernel)); // [out, d]
        const sq = tf.sum(tf.square(f), 1, true); // [out, 1]
        // ||a-b||^2 = |a|^2 + |b|^2 - 2ab, clipped at 0 against rounding; the diagonal is 0.
        const d2 = tf.relu(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(f, f, false, true))));
        return read(tf.sum(tf.sqrt(d2), 1));
      }),
  },
  'bn-scale': {
    name: 'bn-scale',
    needs: 'bn',
    score: ({ gamma }) => {
      if (!gamma) throw new Error('bn-scale needs the BatchNorm gamma after the conv.');
      return tf.tidy(() => read(tf.abs(gamma)));
    },
  },
  taylor: {
    name: 'taylor',
    needs: 'gradients',
    score: ({ kernel, gradSum }) => {
      if (!gradSum) throw new Error('taylor needs the gradients accumulated since the last mask.');
      return tf.tidy(() => read(tf.abs(tf.sum(columns(tf.mul(gradSum, kernel)), 0))));
    },
  },
};

/** Scores of one conv of `model` by `criterion`; gradSums maps conv name -> summed kernel gradient (taylor). */
export function scoreFilters(model: Model, conv: string, criterion: PruneCriterion, gradSums?: ReadonlyMap<string, tf.Tensor>): Float32Array {
  const c = importanceCriteria[criterion];
  const kernel = model.weights.get(`${conv}/kernel`);
  if (!kernel) throw new Error(`Conv "${conv}" has no kernel in this model.`);
  const input: ImportanceInput = { kernel };
  if (c.needs === 'bn') {
    const bn = bnAfter(model.spec, conv);
    if (!bn) throw new Error(`prune.criterion: bn-scale needs a BatchNorm right after conv "${conv}", which has none.`);
    input.gamma = model.weights.get(`${bn}/gamma`)!;
  }
  if (c.needs === 'gradients') {
    const g = gradSums?.get(conv);
    if (!g) throw new Error(`prune.criterion: taylor has no accumulated gradients for conv "${conv}".`);
    input.gradSum = g;
  }
  return c.score(input);
}
