/**
 * SFP masking: per selected conv with N filters and rate P, the floor(N*P)
 * filters of smallest L2 norm get their weights set to zero. Only the kernel
 * is touched (BN parameters, gradients and optimizer momentum are not), so the
 * zeroed filters keep training: the "soft" in soft filter pruning.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../nn/forward.ts';

export interface LayerMaskRecord {
  /** L2 norm of every filter BEFORE masking (the selection criterion). */
  norms: number[];
  /** Indices zeroed this time, ascending. */
  zeroed: number[];
  rate: number;
}

/** L2 norm of each output filter of a [kh,kw,in,out] kernel. */
export function filterNorms(kernel: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const out = kernel.shape[3]!;
    // [kh,kw,in,out] -> [kh*kw*in, out]: one column per filter.
    const flat = tf.reshape(kernel, [-1, out]);
    return tf.sqrt(tf.sum(tf.square(flat), 0)).dataSync() as Float32Array;
  });
}

/** The floor(N*rate) smallest-norm filters (ties broken by index, so the choice is deterministic). */
export function smallestFilters(norms: ArrayLike<number>, rate: number): number[] {
  const n = norms.length;
  const count = Math.floor(n * rate);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => norms[a]! - norms[b]! || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

/** Recomputes and applies the masks of the selected layers; returns what was done per layer. */
export function applySfpMask(model: Model, layerRates: ReadonlyMap<string, number>): Map<string, LayerMaskRecord> {
  const records = new Map<string, LayerMaskRecord>();
  for (const [conv, rate] of layerRates) {
    const kernel = model.weights.get(`${conv}/kernel`) as tf.Variable | undefined;
    if (!kernel) throw new Error(`Conv "${conv}" has no kernel in this model.`);
    const norms = filterNorms(kernel);
    const zeroed = smallestFilters(norms, rate);
    if (zeroed.length > 0) {
      const out = kernel.shape[3]!;
      const keep = new Float32Array(out).fill(1);
      for (const j of zeroed) keep[j] = 0;
      tf.tidy(() => kernel.assign(tf.mul(kernel, tf.tensor1d(keep))));
    }
    records.set(conv, { norms: Array.from(norms), zeroed, rate });
  }
  return records;
}
