import * as tf from '@tensorflow/tfjs-core';

export interface SoftLabels {
  /** n x k posteriors, row after row, each row summing to 1. */
  posteriors: Float32Array;
  /** The estimated target class prior (k). */
  prior: Float64Array;
  iterations: number;
}

/**
 * EM estimate of the target images' label posteriors (Saerens, Latinne &
 * Decaestecker 2002, the prior-adjustment EM): the network's softmax p_i(y) was
 * calibrated under the source prior pi_s; alternately
 *   E: q_i(y) proportional to pi_t(y) / pi_s(y) * p_i(y)
 *   M: pi_t(y) = mean_i q_i(y)
 * from pi_t = pi_s until the prior moves less than `tol` (max abs) or
 * `maxIterations`. The q_i are the soft labels DAAA trains the target against.
 */
export function emSoftLabels(probs: Float32Array, k: number, sourcePrior: ArrayLike<number>, maxIterations = 100, tol = 1e-6): SoftLabels {
  if (k <= 0 || probs.length % k !== 0) throw new Error(`probs: length ${probs.length} is not a multiple of the class count ${k}`);
  if (sourcePrior.length !== k) throw new Error(`sourcePrior: ${sourcePrior.length} entries for ${k} classes`);
  const n = probs.length / k;
  if (n === 0) throw new Error('probs: no target images');
  const ps = Float64Array.from(sourcePrior, (v) => Math.max(v, 1e-12));
  const prior = Float64Array.from(ps);
  const q = new Float32Array(probs.length);
  let iterations = 0;
  for (; iterations < maxIterations; ) {
    iterations++;
    const next = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += (prior[c]! / ps[c]!) * probs[i * k + c]!;
      for (let c = 0; c < k; c++) {
        const v = sum > 0 ? ((prior[c]! / ps[c]!) * probs[i * k + c]!) / sum : 1 / k;
        q[i * k + c] = v;
        next[c] = next[c]! + v / n;
      }
    }
    let moved = 0;
    for (let c = 0; c < k; c++) moved = Math.max(moved, Math.abs(next[c]! - prior[c]!));
    prior.set(next);
    if (moved < tol) break;
  }
  return { posteriors: q, prior, iterations };
}

/** Cross-entropy against soft targets: mean_i -sum_y q_i(y) log softmax(logits_i)(y). */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}
