/**
 * SFP masking: per selected conv with N filters and rate P, the floor(N*P)
 * filters of lowest importance (criterion, default L2 as in SFP; see
 * importance.ts) get their weights set to zero. By default only the kernel is
 * touched (BN parameters, gradients and optimizer momentum are not), so the
 * zeroed filters keep training: the "soft" in soft filter pruning. With
 * `zeroBn` the pruned channels' BN gamma and beta are zeroed too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PruneCriterion } from '../common/contract/prune.ts';
import type { Model } from '../nn/forward.ts';
import { bnAfter, importanceCriteria, scoreFilters } from './importance.ts';

export interface LayerMaskRecord {
  /** L2 norm of every filter BEFORE masking (what the heatmap shows, whatever the criterion). */
  norms: number[];
  /** The criterion's score of every filter before masking (equal to norms for l2). */
  scores: number[];
  /** Indices zeroed this time, ascending. */
  zeroed: number[];
  rate: number;
}

export interface MaskOptions {
  /** Default 'l2' (SFP). */
  criterion?: PruneCriterion;
  /** Also zero the pruned channels' BN gamma and beta. */
  zeroBn?: boolean;
  /** conv name -> kernel gradient summed since the last mask (criterion 'taylor'). */
  gradSums?: ReadonlyMap<string, tf.Tensor>;
}

/** L2 norm of each output filter of a [kh,kw,in,out] kernel. */
export function filterNorms(kernel: tf.Tensor): Float32Array {
  return importanceCriteria.l2.score({ kernel });
}

/** The floor(N*rate) lowest-scoring filters (ties broken by index, so the choice is deterministic). */
export function smallestFilters(norms: ArrayLike<number>, rate: number): number[] {
  const n = norms.length;
  const count = Math.floor(n * rate);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => norms[a]! - norms[b]! || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

function keepVector(n: number, zeroed: readonly number[]): Float32Array {
  const keep = new Float32Array(n).fill(1);
  for (const j of zeroed) keep[j] = 0;
  return keep;
}

/** Recomputes and applies the masks of the selected layers; returns what was done per layer. */
export function applySfpMask(model: Model, layerRates: ReadonlyMap<string, number>, opts: MaskOptions = {}): Map<string, LayerMaskRecord> {
  const criterion = opts.criterion ?? 'l2';
  const records = new Map<string, LayerMaskRecord>();
  for (const [conv, rate] of layerRates) {
    const kernel = model.weights.get(`${conv}/kernel`) as tf.Variable | undefined;
    if (!kernel) throw new Error(`Conv "${conv}" has no kernel in this model.`);
    const norms = filterNorms(kernel);
    const scores = criterion === 'l2' ? norms : scoreFilters(model, conv, criterion, opts.gradSums);
    const zeroed = smallestFilters(scores, rate);
    if (zeroed.length > 0) {
      const keep = keepVector(kernel.shape[3]!, zeroed);
      tf.tidy(() => kernel.assign(tf.mul(kernel, tf.tensor1d(keep))));
      const bn = opts.zeroBn ? bnAfter(model.spec, conv) : null;
      if (bn) {
        for (const leaf of ['gamma', 'beta']) {
          const v = model.weights.get(`${bn}/${leaf}`) as tf.Variable | undefined;
          if (v) tf.tidy(() => v.assign(tf.mul(v, tf.tensor1d(keep))));
        }
      }
    }
    records.set(conv, { norms: Array.from(norms), scores: Array.from(scores), zeroed, rate });
  }
  return records;
}

/**
 * Weight name -> keep vector (1 kept, 0 pruned, along the last axis) of what a
 * mask zeroed: each conv's kernel and, with zeroBn, its BN gamma and beta. The
 * optimizer multiplies gradients and momentum by these under `noRegrowth`.
 */
export function maskKeeps(model: Model, records: ReadonlyMap<string, Pick<LayerMaskRecord, 'zeroed'>>, zeroBn: boolean): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [conv, r] of records) {
    const kernel = model.weights.get(`${conv}/kernel`)!;
    const keep = keepVector(kernel.shape[3]!, r.zeroed);
    out.set(`${conv}/kernel`, keep);
    const bn = zeroBn ? bnAfter(model.spec, conv) : null;
    if (bn) for (const leaf of ['gamma', 'beta']) if (model.weights.has(`${bn}/${leaf}`)) out.set(`${bn}/${leaf}`, keep);
  }
  return out;
}
