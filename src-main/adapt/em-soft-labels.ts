import * as tf from '@tensorflow/tfjs-core';

export interface SoftLabels {
  /** n x k posteriors, row after row, each row summing to 1. */
  posteriors: Float32Array;
  /** The estimated target class prior (k). */
  prior: Float64Array;
  iterations: number;
}

/** Target images in `probs` (n x k posteriors, row-major), after checking it and the prior against the class count; errors name the argument. */
function imageCount(probs: Float32Array, k: number, prior: ArrayLike<number>, priorName: string): number {
  if (k <= 0 || probs.length % k !== 0) throw new Error(`probs: length ${probs.length} is not a multiple of the class count ${k}`);
  if (prior.length !== k) throw new Error(`${priorName}: ${prior.length} entries for ${k} classes`);
  const n = probs.length / k;
  if (n === 0) throw new Error('probs: no target images');
  return n;
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
  const n = imageCount(probs, k, sourcePrior, 'sourcePrior');
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

/**
 * The class-balanced alternative to the EM's M-step: the target prior is not
 * re-estimated but held at `prior` (the source's), and the posteriors are
 * re-weighted per class, q_i(y) proportional to w(y) p_i(y), until their mean
 * over the images is that prior (w(y) <- w(y) pi(y) / mean_i q_i(y), a
 * Sinkhorn-style scaling; it converges when every class has some mass). The
 * prior-adjustment EM above feeds on its own estimate: from posteriors near
 * chance (a model that does not yet transfer) one class's small lead grows
 * every iteration until the prior sits on it, and every target image is then
 * trained towards that class; here no class can take more than its source
 * share, so the soft labels cannot collapse.
 */
export function balancedSoftLabels(probs: Float32Array, k: number, prior: ArrayLike<number>, maxIterations = 100, tol = 1e-6): SoftLabels {
  const n = imageCount(probs, k, prior, 'prior');
  const pi = Float64Array.from(prior, (v) => Math.max(v, 1e-12));
  const w = new Float64Array(k).fill(1);
  const q = new Float32Array(probs.length);
  const mean = new Float64Array(k);
  let iterations = 0;
  for (; iterations < maxIterations; ) {
    iterations++;
    mean.fill(0);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += w[c]! * probs[i * k + c]!;
      for (let c = 0; c < k; c++) {
        const v = sum > 0 ? (w[c]! * probs[i * k + c]!) / sum : 1 / k;
        q[i * k + c] = v;
        mean[c] = mean[c]! + v / n;
      }
    }
    let off = 0;
    for (let c = 0; c < k; c++) {
      off = Math.max(off, Math.abs(mean[c]! - pi[c]!));
      if (mean[c]! > 0) w[c] = w[c]! * (pi[c]! / mean[c]!);
    }
    if (off < tol) break;
  }
  return { posteriors: q, prior: Float64Array.from(mean), iterations };
}

/** Cross-entropy against soft targets: mean_i -sum_y q_i(y) log softmax(logits_i)(y). */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}
