import * as tf from '@tensorflow/tfjs-core';

/** Least-squares GAN loss: mean((score - target)^2). */
export function lsgan(score: tf.Tensor, target: 0 | 1): tf.Scalar {
  return tf.mean(tf.square(tf.sub(score, target)));
}

/** Discriminator loss 0.5 * [(D(real) - 1)^2 + D(fake)^2]. */
export function discriminatorLoss(realScore: tf.Tensor, fakeScore: tf.Tensor): tf.Scalar {
  return tf.mul(0.5, tf.add(lsgan(realScore, 1), lsgan(fakeScore, 0)));
}

export function l1(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.abs(tf.sub(a, b)));
}

/**
 * Contrastive loss on embedding pairs [B, D] (rows of a and b are the pairs):
 * positive pairs d^2, negative pairs max(0, margin - d)^2, averaged over the
 * batch; d is the Euclidean distance. (No 0.5 factor: the weights of
 * methods.md, contrastive 2 with margin 2, apply to this form.)
 */
export function contrastive(a: tf.Tensor2D, b: tf.Tensor2D, positive: boolean, margin: number): tf.Scalar {
  // The epsilon keeps sqrt's gradient finite when a pair coincides.
  const d = tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(a, b)), 1), 1e-12));
  if (positive) return tf.mean(tf.square(d));
  return tf.mean(tf.square(tf.relu(tf.sub(margin, d))));
}
