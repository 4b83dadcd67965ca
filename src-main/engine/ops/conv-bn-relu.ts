import * as tf from '@tensorflow/tfjs-core';

export interface FoldedConv {
  /** [KH,KW,Ci,Co]: the conv kernel scaled per output channel. */
  kernel: tf.Tensor4D;
  /** [Co] */
  bias: tf.Tensor1D;
}

/**
 * Folds an inference-mode BatchNorm into the convolution before it:
 *   bn(conv(x, k)) = conv(x, k * s) + (beta - mean * s),  s = gamma / sqrt(var + eps)
 * (plus the conv's own bias times s, when it has one). With `convBiasRelu`
 * this turns conv -> BN -> ReLU into ONE backend op (wasm: one XNNPACK
 * convolution with bias and clamp), removing two passes over the activation.
 * Only valid where BN uses its running statistics (evaluation, export).
 */
export function foldBatchNorm(
  kernel: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  epsilon: number,
  convBias?: tf.Tensor1D,
): FoldedConv {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(movingVariance, epsilon))) as tf.Tensor1D; // [Co]
    const shifted = convBias ? tf.sub(convBias, movingMean) : tf.neg(movingMean);
    return {
      kernel: tf.mul(kernel, scale) as tf.Tensor4D, // broadcasts over the last axis (Co)
      bias: tf.add(beta, tf.mul(shifted, scale)) as tf.Tensor1D,
    };
  });
}

/** conv2d + bias (+ ReLU) as one fused op (tf.fused.conv2d; FusedConv2D on wasm and tensorflow). */
export function convBiasRelu(
  x: tf.Tensor4D,
  folded: FoldedConv,
  strides: number | [number, number],
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]],
  relu: boolean,
): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: folded.kernel, strides, pad, bias: folded.bias, activation: relu ? 'relu' : 'linear' });
}
