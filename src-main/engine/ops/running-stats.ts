import * as tf from '@tensorflow/tfjs-core';

/**
 * A training BatchNorm's running statistics moved towards the batch's as ONE kernel
 * (`RUNNING_STATS_UPDATE`, the native addon's runningStatsUpdate) where it is registered, instead
 * of four Multiply and two Add kernels per BatchNorm (ResNet-56: 55 BatchNorms, 330 tiny kernels a
 * step). The same float32 operations in the same order: the same bits
 * (test/engine/running-stats.test.ts). `WORKBENCH_NATIVE_RUNNING_STATS=0` (read per call) runs the ops.
 */
export const RUNNING_STATS_UPDATE = 'EngineRunningStatsUpdate';

/** mean' = mean*keep + batchMean*a, variance' = variance*keep + batchVariance*b (JS numbers, used as float32 like TF.js scalars). */
export interface RunningStatsAttrs {
  keep: number;
  a: number;
  b: number;
}

/** [mean', variance'] as new tensors; the inputs are left as they are. */
export function runningStatsUpdate(
  mean: tf.Tensor,
  variance: tf.Tensor,
  batchMean: tf.Tensor,
  batchVariance: tf.Tensor,
  attrs: RunningStatsAttrs,
): [tf.Tensor, tf.Tensor] {
  if (process.env.WORKBENCH_NATIVE_RUNNING_STATS !== '0' && tf.getKernel(RUNNING_STATS_UPDATE, tf.getBackend()) != null) {
    const out = tf.engine().runKernel(RUNNING_STATS_UPDATE, { mean, variance, batchMean, batchVariance }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return [out[0]!, out[1]!];
  }
  return tf.tidy(() => [tf.add(tf.mul(mean, attrs.keep), tf.mul(batchMean, attrs.a)), tf.add(tf.mul(variance, attrs.keep), tf.mul(batchVariance, attrs.b))]);
}
