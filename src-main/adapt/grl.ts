import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient reversal layer (Ganin & Lempitsky 2015): identity forward, gradient
 * multiplied by -lambda backward, so the features learn to confuse the domain
 * classifier that sits behind it while the classifier itself learns normally.
 */
export function gradientReversal<T extends tf.Tensor>(x: T, lambda: number): T {
  // customGrad passes the inputs and then the save function in one rest list.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return {
      value: tf.clone(input),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda),
    };
  });
  return op(x) as T;
}

/**
 * DANN's reversal coefficient schedule: lambda(p) = 2 / (1 + exp(-gamma p)) - 1,
 * p the training progress in [0, 1] (gamma = 10 in the paper), rising from 0 so
 * the noisy early domain signal does not disturb the features.
 */
export function grlCoefficient(progress: number, gamma = 10): number {
  const p = Math.min(1, Math.max(0, progress));
  return 2 / (1 + Math.exp(-gamma * p)) - 1;
}
