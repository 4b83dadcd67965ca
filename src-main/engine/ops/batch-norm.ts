import * as tf from '@tensorflow/tfjs-core';
import { BN_GRAD, BN_MOMENTS, BN_RELU_GRAD, BN_RELU_GRAD_MASKED, BN_SCALE_SHIFT, BN_SCALE_SHIFT_ADD_RELU, BN_SCALE_SHIFT_RELU } from '../kernels/batch-norm-kernels.ts';
import { reluGrad } from './relu-grad.ts';

export interface BatchNormTrainResult<R extends tf.Rank> {
  /** gamma * (x - mean) / sqrt(variance + epsilon) + beta, same shape as x. */
  y: tf.Tensor<R>;
  /** Per-channel batch mean, shape [C]. */
  mean: tf.Tensor1D;
  /**
   * Per-channel BIASED batch variance (divided by N = elements per channel),
   * shape [C]. For a PyTorch-style running variance multiply by N/(N-1).
   */
  variance: tf.Tensor1D;
}

/** Whether the fused JS kernels (kernels/batch-norm-kernels.ts) serve the active backend. */
function fusedKernelsActive(): boolean {
  return tf.getKernel(BN_GRAD, tf.getBackend()) != null;
}

/**
 * Whether the fused BatchNorm + ReLU kernels serve the active backend (the native addon registers
 * them). `WORKBENCH_FUSED_BN_RELU=0` (read per call) composes the unfused kernels instead, for A/B timing.
 */
function fusedReluActive(x: tf.Tensor): boolean {
  return x.size > 0 && process.env.WORKBENCH_FUSED_BN_RELU !== '0' && tf.getKernel(BN_RELU_GRAD, tf.getBackend()) != null;
}

function runKernel(name: string, inputs: tf.NamedTensorMap): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs);
  return Array.isArray(out) ? out : [out];
}

/** What the backward pass of a training-mode BatchNorm needs: its input and per-channel statistics. */
export interface BatchNormSaved {
  x: tf.Tensor;
  gamma: tf.Tensor1D;
  mean: tf.Tensor1D;
  invstd: tf.Tensor1D;
}

function checkBatchNormArgs(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): void {
  const channels = x.shape[x.rank - 1]!;
  if (gamma.shape[0] !== channels || beta.shape[0] !== channels) {
    throw new Error(
      `batchNormTrain: gamma ${JSON.stringify(gamma.shape)} and beta ${JSON.stringify(beta.shape)} must be [${channels}] for x ${JSON.stringify(x.shape)}`,
    );
  }
  if (x.dtype !== 'float32') throw new Error(`batchNormTrain: x must be float32, got ${x.dtype}`);
}

/** Per-channel batch mean and biased variance over every axis but the last. */
function batchMoments(x: tf.Tensor, fused: boolean): [tf.Tensor1D, tf.Tensor1D] {
  if (fused) return runKernel(BN_MOMENTS, { x }) as [tf.Tensor1D, tf.Tensor1D];
  const { mean, variance } = tf.moments(x, axesOf(x));
  return [mean as tf.Tensor1D, variance as tf.Tensor1D];
}

const axesOf = (x: tf.Tensor): number[] => Array.from({ length: x.rank - 1 }, (_, i) => i);

/** y = x * scale + shift with per-channel scale = gamma*invstd, shift = beta - mean*scale. */
function normalizeValue(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, mean: tf.Tensor1D, invstd: tf.Tensor1D, fused: boolean): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, invstd);
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return fused ? runKernel(BN_SCALE_SHIFT, { x, scale, shift })[0]! : tf.add(tf.mul(x, scale), shift);
  });
}

/** [dx, dgamma, dbeta] of y = normalize(x) for the upstream gradient dy. */
export function batchNormTrainBackward(dy: tf.Tensor, s: BatchNormSaved): tf.Tensor[] {
  if (fusedKernelsActive()) return runKernel(BN_GRAD, { dy, x: s.x, mean: s.mean, invstd: s.invstd, gamma: s.gamma });
  return tf.tidy(() => {
    const axes = axesOf(s.x);
    const count = s.x.size / s.x.shape[s.x.rank - 1]!;
    const xhat = tf.mul(tf.sub(s.x, s.mean), s.invstd);
    const sumDy = tf.sum(dy, axes);
    const sumDyXhat = tf.sum(tf.mul(dy, xhat), axes);
    const k = tf.div(tf.mul(s.gamma, s.invstd), count); // gamma*invstd/N, [C]
    const dx = tf.mul(k, tf.sub(tf.sub(tf.mul(dy, count), sumDy), tf.mul(xhat, sumDyXhat)));
    return [dx, sumDyXhat, sumDy];
  });
}

/**
 * [dx, dgamma, dbeta] of relu(normalize(x)) for the ReLU's upstream gradient dy, y = the ReLU's
 * output: batchNormTrainBackward(reluGrad(dy, y)) in one kernel where the backend has it (two
 * passes instead of three, no intermediate gradient), with the same bits.
 */
export function batchNormReluTrainBackward(dy: tf.Tensor, y: tf.Tensor, s: BatchNormSaved): tf.Tensor[] {
  if (fusedReluActive(s.x)) return runKernel(BN_RELU_GRAD, { dy, x: s.x, mean: s.mean, invstd: s.invstd, gamma: s.gamma, y });
  const g = reluGrad(dy, y);
  try {
    return batchNormTrainBackward(g, s);
  } finally {
    g.dispose();
  }
}

/**
 * The forward half of batchNormTrain without a gradient tape: for a hand-written backward pass
 * (src-main/nn/backward.ts) that keeps only what batchNormTrainBackward reads. The caller owns
 * y, mean, variance and invstd. Same arithmetic as batchNormTrain, so both paths give the same bits.
 * With `relu`, y is relu(normalize(x)) (one pass where the backend has the fused kernel, the same
 * bits), whose gradient is batchNormReluTrainBackward.
 */
export function batchNormTrainForward(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu = false,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D; invstd: tf.Tensor1D } {
  checkBatchNormArgs(x, gamma, beta);
  const fused = fusedKernelsActive();
  const [mean, variance] = batchMoments(x, fused);
  const invstd = tf.tidy(() => tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D);
  if (!relu) return { y: normalizeValue(x, gamma, beta, mean, invstd, fused), mean, variance, invstd };
  if (fusedReluActive(x)) {
    const y = tf.tidy(() => {
      const scale = tf.mul(gamma, invstd); // as normalizeValue
      const shift = tf.sub(beta, tf.mul(mean, scale));
      return runKernel(BN_SCALE_SHIFT_RELU, { x, scale, shift })[0]!;
    });
    return { y, mean, variance, invstd };
  }
  const normalized = normalizeValue(x, gamma, beta, mean, invstd, fused);
  const y = tf.relu(normalized);
  normalized.dispose();
  return { y, mean, variance, invstd };
}

/**
 * Whether a training-mode BatchNorm, the residual Add after it and the ReLU after that run as one
 * kernel (the native addon registers it). `WORKBENCH_FUSED_BN_ADD_RELU=0` (read per call) keeps
 * them apart, for A/B timing.
 */
export function fusedAddReluActive(): boolean {
  return process.env.WORKBENCH_FUSED_BN_ADD_RELU !== '0' && tf.getKernel(BN_SCALE_SHIFT_ADD_RELU, tf.getBackend()) != null;
}

/**
 * The statistics half of batchNormTrainForward (mean, biased variance, invstd; the caller owns
 * them), for a BatchNorm whose normalisation runs later inside batchNormAddRelu.
 */
export function batchNormTrainMoments(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { mean: tf.Tensor1D; variance: tf.Tensor1D; invstd: tf.Tensor1D } {
  checkBatchNormArgs(x, gamma, beta);
  const [mean, variance] = batchMoments(x, fusedKernelsActive());
  const invstd = tf.tidy(() => tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D);
  return { mean, variance, invstd };
}

/**
 * A ResNet block's end: relu(normalize(x) + residual) with batchNormTrainMoments' statistics,
 * one pass over x, residual and y where the backend has the fused kernel (and residual has x's
 * shape), else the scale-shift, Add and Relu kernels; the same bits either way. Its gradient is
 * the ReLU's (reluGrad(dy, y)) passed to both addends, then batchNormTrainBackward.
 */
export function batchNormAddRelu(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, mean: tf.Tensor1D, invstd: tf.Tensor1D, residual: tf.Tensor): tf.Tensor {
  const fused = fusedKernelsActive();
  const sameShape = residual.shape.length === x.shape.length && residual.shape.every((d, i) => d === x.shape[i]);
  return tf.tidy(() => {
    if (x.size > 0 && sameShape && fusedAddReluActive()) {
      const scale = tf.mul(gamma, invstd); // as normalizeValue
      const shift = tf.sub(beta, tf.mul(mean, scale));
      return runKernel(BN_SCALE_SHIFT_ADD_RELU, { x, scale, shift, residual })[0]!;
    }
    return tf.relu(tf.add(normalizeValue(x, gamma, beta, mean, invstd, fused), residual));
  });
}

/**
 * The gradient of batchNormAddRelu for the ReLU's upstream gradient dy, y = its output:
 * [dx, dgamma, dbeta, g] with g = reluGrad(dy, y), the residual's gradient, and the BatchNorm's
 * from g. One kernel where the backend has it (g written in the statistics pass, read by the dx
 * pass: two passes instead of three), else reluGrad then batchNormTrainBackward; the same bits.
 * `WORKBENCH_FUSED_BN_ADD_RELU_GRAD=0` (read per call) composes them, for A/B timing.
 */
export function batchNormAddReluTrainBackward(dy: tf.Tensor, y: tf.Tensor, s: BatchNormSaved): tf.Tensor[] {
  if (s.x.size > 0 && process.env.WORKBENCH_FUSED_BN_ADD_RELU_GRAD !== '0' && tf.getKernel(BN_RELU_GRAD_MASKED, tf.getBackend()) != null)
    return runKernel(BN_RELU_GRAD_MASKED, { dy, x: s.x, mean: s.mean, invstd: s.invstd, gamma: s.gamma, y });
  const g = reluGrad(dy, y);
  return [...batchNormTrainBackward(g, s), g];
}

/**
 * Batch normalisation in training mode over the last axis (channels-last:
 * x is [N,C], [N,W,C] or [N,H,W,C]), with a hand-written gradient.
 *
 * Why: tf.batchNorm's gradient broadcasts mean/variance by materialising Tile
 * ops (18% of a ResNet-20 step on wasm), and composing the forward pass from
 * tf ops reads the activation ~8 times. Here
 *
 *   xhat = (x - mean) * invstd,  invstd = 1 / sqrt(variance + epsilon)
 *   dgamma = sum(dy * xhat),  dbeta = sum(dy)
 *   dx = gamma * invstd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat))
 *
 * On wasm and cpu this runs as fused kernels (2 passes forward, 2 backward);
 * elsewhere (native tensorflow) as broadcasting tf ops, never Tile. The
 * gradient already includes the paths through mean and variance, so `mean`
 * and `variance` carry no gradient of their own: use them for the running
 * averages (outside the loss).
 *
 * Usage (in a layer's training call, inside the optimizer's loss function):
 *   const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5);
 * Gradients flow to x, gamma and beta (which may be tf.Variables). The three
 * results belong to the caller's scope (tf.tidy disposes them as usual).
 */
export function batchNormTrain<R extends tf.Rank>(
  x: tf.Tensor<R>,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = 1e-3,
): BatchNormTrainResult<R> {
  checkBatchNormArgs(x, gamma, beta);
  const fused = fusedKernelsActive();
  // Statistics are computed outside the custom gradient and only captured by
  // it: the tape then sees no path from them to y, so no gradient is computed
  // (and none double-counted) through these ops.
  const [mean, variance] = batchMoments(x, fused);
  const invstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;

  // customGrad passes its inputs followed by the save function, untyped.
  const normalize = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    save([xIn, g, mean, invstd]);
    return {
      value: normalizeValue(xIn, g, b, mean, invstd, fused),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, m, is] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        return batchNormTrainBackward(dy, { x: xs, gamma: gs, mean: m, invstd: is });
      },
    };
  });
  const y = normalize(x, gamma, beta) as tf.Tensor<R>;
  invstd.dispose();
  return { y, mean, variance };
}
