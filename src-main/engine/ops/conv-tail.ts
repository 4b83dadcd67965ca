/**
 * Convolution with its epilogue as ONE op (evaluation only, no gradient):
 *
 *   y[p, c] = act(residual[p, c] + bias[c] + sum_{j: scatter[j] = c} (conv(x, filter)[p, j] + addMap[pix(p), j]))
 *
 * It covers a folded residual block tail, conv -> BN (folded) [-> channel scatter] -> add(residual)
 * [-> ReLU], and a hard-pruned conv's constant-input map (`addMap`). With the native kernels
 * (engine/native) the epilogue runs on each output row right after the GEMM produced it, while the
 * row is in cache; elsewhere the same result comes from ordinary ops. Without the fused form a
 * hard-pruned block pays 3-4 extra full-resolution passes (map add, scatter, add, ReLU), which
 * cost more than the pruning saved (BENCHMARKS.md, "Model inference latency").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';

/** Kernel name of the fused op; registered by the native kernels (engine/native/native-kernels.ts). */
export const CONV_TAIL = 'WorkbenchConvTail';

export type ConvTailPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvTailArgs {
  x: tf.Tensor4D;
  /** [KH, KW, Ci, Co] */
  filter: tf.Tensor4D;
  strides: number | [number, number];
  pad: ConvTailPad;
  dilations?: number | [number, number];
  /** [C]: C = scatter.channels with a scatter, else Co. */
  bias?: tf.Tensor1D;
  /** [1, OH, OW, Co]: added to the conv output of every image (a hard-pruned conv's constant inputs). */
  addMap?: tf.Tensor4D;
  /** [B, OH, OW, C] */
  residual?: tf.Tensor4D;
  /** Conv channel j lands on output channel indices[j] of `channels`; the others are bias + residual only. */
  scatter?: { indices: readonly number[]; channels: number };
  relu: boolean;
}

/** Attributes of the CONV_TAIL kernel. */
export interface ConvTailAttrs {
  strides: number | [number, number];
  pad: ConvTailPad;
  relu: boolean;
  /** Scatter indices, or null. */
  indices: number[] | null;
  channels: number;
}

function outShape(a: ConvTailArgs, channels: number): number[] {
  const info = tf.backend_util.computeConv2DInfo(a.x.shape, a.filter.shape as [number, number, number, number], a.strides, 1, a.pad);
  return [info.batchSize, info.outHeight, info.outWidth, channels];
}

function sameShape(t: tf.Tensor | undefined, shape: number[]): boolean {
  return !t || (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]));
}

/** The fused kernel when the backend has it and the arguments are its exact shapes; else null. */
function fusedKernel(a: ConvTailArgs): tf.Tensor4D | null {
  if (tf.getKernel(CONV_TAIL, tf.getBackend()) == null) return null;
  const dil = a.dilations ?? 1;
  if ((typeof dil === 'number' ? dil : Math.max(...dil)) !== 1) return null;
  const co = a.filter.shape[3];
  const channels = a.scatter?.channels ?? co;
  const out = outShape(a, channels);
  if (!sameShape(a.residual, out) || !sameShape(a.addMap, [1, out[1]!, out[2]!, co]) || !sameShape(a.bias, [channels])) return null;
  if ([a.x, a.filter, a.bias, a.addMap, a.residual].some((t) => t && t.dtype !== 'float32')) return null;
  const inputs: Record<string, tf.Tensor> = { x: a.x, filter: a.filter };
  if (a.bias) inputs.bias = a.bias;
  if (a.addMap) inputs.addMap = a.addMap;
  if (a.residual) inputs.residual = a.residual;
  const attrs: ConvTailAttrs = { strides: a.strides, pad: a.pad, relu: a.relu, indices: a.scatter ? (a.scatter.indices as number[]) : null, channels }; // the spec's array: the kernel caches per array
  return tf.engine().runKernel(CONV_TAIL, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor4D;
}

/** A 0/1 kernel [1, 1, K, C] moving channel k to channel indices[k]. */
export function routingKernel(indices: readonly number[], channels: number): tf.Tensor4D {
  const k = new Float32Array(indices.length * channels);
  indices.forEach((c, i) => (k[i * channels + c] = 1));
  return tf.tensor4d(k, [1, 1, indices.length, channels]);
}

/** The same result from ordinary ops (backends without the fused kernel). */
function composite(a: ConvTailArgs): tf.Tensor4D {
  return tf.tidy(() => {
    const conv = { x: a.x, filter: a.filter, strides: a.strides, pad: a.pad, dilations: a.dilations };
    if (!a.scatter && !a.addMap && !a.residual) {
      return tf.fused.conv2d({ ...conv, bias: a.bias, activation: a.relu ? 'relu' : 'linear' });
    }
    let y: tf.Tensor4D = tf.fused.conv2d({ ...conv, bias: a.scatter ? undefined : a.bias });
    if (a.addMap) y = tf.add(y, a.addMap);
    // 1x1 routing conv for the scatter: exact (products with 1, sums with 0) and much faster on
    // wasm than a gather along the channel axis.
    if (a.scatter) y = tf.fused.conv2d({ x: y, filter: routingKernel(a.scatter.indices, a.scatter.channels), strides: 1, pad: 'valid', bias: a.bias });
    if (a.residual) y = tf.add(y, a.residual);
    return a.relu ? tf.relu(y) : y;
  });
}

export function convTail(a: ConvTailArgs): tf.Tensor4D {
  return fusedKernel(a) ?? composite(a);
}
