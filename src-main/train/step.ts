/** One SGD step on a batch: forward in training mode, backward, update, BN running statistics. */
import * as tf from '@tensorflow/tfjs-core';
import { forward, updateRunningStats, type BatchStats, type Model } from '../nn/forward.ts';
import type { Sgd } from './sgd.ts';
import type { FloatBatch } from './data.ts';

export function trainStep(
  model: Model,
  params: ReadonlyMap<string, tf.Variable>,
  sgd: Sgd,
  batch: FloatBatch,
  shape: [number, number, number],
  lr: number,
  seed: number,
): { loss: number; correct: number } {
  const stats: BatchStats = new Map();
  const x = tf.tensor4d(batch.data, [batch.n, ...shape]);
  const labels = tf.tensor1d(batch.labels, 'int32');
  let correct = 0;
  try {
    const vars = [...params.values()];
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(model, x, { training: true, seed, batchStats: stats });
      correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')).dataSync()[0]!;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, model.spec.numClasses), logits) as tf.Scalar;
    }, vars);
    // variableGrads keys gradients by variable name; the optimizer keys state by weight name.
    const byWeight = new Map<string, tf.Tensor>();
    for (const [name, v] of params) {
      const g = grads[v.name];
      if (g) byWeight.set(name, g);
    }
    sgd.step(params, byWeight, lr);
    updateRunningStats(model, stats);
    const loss = value.dataSync()[0]!;
    value.dispose();
    tf.dispose(Object.values(grads));
    return { loss, correct };
  } finally {
    for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
    x.dispose();
    labels.dispose();
  }
}
