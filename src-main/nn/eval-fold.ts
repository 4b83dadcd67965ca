/**
 * Evaluation-only rewrite of conv -> batchNorm (-> relu) chains into one conv
 * with bias (and fused ReLU): BatchNorm with running statistics is an affine
 * map per channel, so it folds into the conv kernel and a bias
 * (engine/ops/conv-bn-relu.ts). On wasm this removes two passes over every
 * activation per block. Training never uses it (batch statistics change per step).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, GraphSpec, NodeOf } from './graph.ts';
import { foldBatchNorm, type FoldedConv } from '../engine/ops/conv-bn-relu.ts';

/** A foldable chain starting at a conv: the BatchNorm after it and, when fused too, the ReLU after that. */
export interface FoldChain {
  bn: NodeOf<'batchNorm'>;
  relu?: NodeOf<'relu'>;
  /**
   * What follows the BatchNorm in a residual stream (then `relu` above is absent): a channel
   * scatter back to the stream's width and/or the addition of `residual`, then an optional
   * ReLU. With an add, the chain is computed when the add is reached (the residual may come
   * later in node order); either way as one engine/ops/conv-tail op.
   */
  tail?: { scatter?: NodeOf<'channelScatter'>; add?: NodeOf<'add'>; residual?: string; relu?: NodeOf<'relu'> };
  /** The node whose output the fused op produces (bn, relu, or the tail's add or relu). */
  last: string;
}

/** Folded weights of one conv, valid while its source weights keep the same data. */
export interface FoldedEntry extends FoldedConv {
  /** constKernel * scale for hard-pruned convs (constInput); its bias part is already in `bias`. */
  constKernel?: tf.Tensor4D;
  /** Folded constant-input maps per input size ("HxW"), [1,OH,OW,F]. */
  constMaps: Map<string, tf.Tensor>;
  /** dataIds of the source weights: a Variable.assign or a replaced weight changes them. */
  sources: object[];
  /** Full-width bias of a scattered block tail (scatter bias + the folded bias on the kept channels), with its scatter bias's dataId. */
  tailBias?: { source: object; bias: tf.Tensor1D };
}

const plans = new WeakMap<GraphSpec, Map<string, FoldChain>>();

/**
 * Folded weights per conv name, per weights map rather than per Model object: callers
 * wrap the same weights in short-lived Models (e.g. re-ID's feature-map spec per batch),
 * which would otherwise each fold and keep their own copy. disposeModel frees it.
 */
const caches = new WeakMap<Map<string, tf.Tensor>, Map<string, FoldedEntry>>();

export function foldCacheOf(weights: Map<string, tf.Tensor>): Map<string, FoldedEntry> {
  let cache = caches.get(weights);
  if (!cache) caches.set(weights, (cache = new Map()));
  return cache;
}

/** Frees the folded weights made from `weights` (disposeModel). */
export function disposeFoldCache(weights: Map<string, tf.Tensor>): void {
  const cache = caches.get(weights);
  for (const entry of cache?.values() ?? []) disposeFolded(entry);
  cache?.clear();
}

/**
 * conv -> batchNorm pairs where the conv's output feeds only the BatchNorm and
 * neither is a graph output (so nobody else needs the unfolded values); the ReLU
 * joins when it is the BatchNorm's only consumer and the BatchNorm is no output.
 */
export function foldPlan(spec: GraphSpec): Map<string, FoldChain> {
  let plan = plans.get(spec);
  if (plan) return plan;
  const consumers = new Map<string, string[]>();
  for (const n of spec.nodes) {
    const ins = n.op === 'add' ? n.inputs : 'input' in n && typeof n.input === 'string' ? [n.input] : [];
    for (const i of ins) {
      const list = consumers.get(i);
      if (list) list.push(n.name);
      else consumers.set(i, [n.name]);
    }
  }
  const outputs = new Set<string>(Object.values(spec.outputs).filter((v): v is string => typeof v === 'string'));
  const byName = new Map(spec.nodes.map((n) => [n.name, n]));
  const only = (name: string): string | undefined => {
    const c = consumers.get(name);
    return c && c.length === 1 && !outputs.has(name) ? c[0] : undefined;
  };
  plan = new Map();
  const claimed = new Set<string>(); // adds already ending a chain (both inputs may be folded convs)
  for (const n of spec.nodes) {
    if (n.op !== 'conv2d') continue;
    const next = only(n.name);
    const bn = next ? byName.get(next) : undefined;
    if (!bn || bn.op !== 'batchNorm') continue;
    const after = only(bn.name);
    const relu = after ? byName.get(after) : undefined;
    if (relu && relu.op === 'relu') plan.set(n.name, { bn, relu, last: relu.name });
    else plan.set(n.name, tailChain(bn, relu, only, byName, claimed) ?? { bn, last: bn.name });
  }
  plans.set(spec, plan);
  return plan;
}

/**
 * bn -> channelScatter [-> relu], or bn [-> channelScatter] -> add(other) [-> relu], every link
 * the previous node's only consumer.
 */
function tailChain(
  bn: NodeOf<'batchNorm'>,
  next: GraphNode | undefined,
  only: (name: string) => string | undefined,
  byName: Map<string, GraphNode>,
  claimed: Set<string>,
): FoldChain | undefined {
  const after = (node: GraphNode): GraphNode | undefined => {
    const name = only(node.name);
    return name ? byName.get(name) : undefined;
  };
  let scatter: NodeOf<'channelScatter'> | undefined;
  let end: GraphNode = bn;
  if (next?.op === 'channelScatter') {
    scatter = next;
    end = next;
    next = after(next);
  }
  let add: { node: NodeOf<'add'>; residual: string } | undefined;
  if (next?.op === 'add' && next.inputs[0] !== next.inputs[1] && !claimed.has(next.name)) {
    claimed.add(next.name);
    add = { node: next, residual: next.inputs[0] === end.name ? next.inputs[1] : next.inputs[0] };
    end = next;
    next = after(next);
  }
  if (!scatter && !add) return undefined;
  const relu = next?.op === 'relu' ? next : undefined;
  return { bn, tail: { scatter, add: add?.node, residual: add?.residual, relu }, last: relu?.name ?? end.name };
}

/** The data identity of a tensor (changes on Variable.assign, unlike its id). */
function dataOf(t: tf.Tensor): object {
  return t.dataId as object;
}

function disposeFolded(entry: FoldedEntry): void {
  entry.kernel.dispose();
  entry.bias.dispose();
  entry.constKernel?.dispose();
  entry.tailBias?.bias.dispose();
  for (const t of entry.constMaps.values()) t.dispose();
}

/**
 * The folded weights of `conv` followed by `bn`, from `cache` when its source
 * weights are unchanged, else folded now and kept (outside any tidy scope).
 */
export function foldedWeights(
  cache: Map<string, FoldedEntry>,
  conv: NodeOf<'conv2d'>,
  bn: NodeOf<'batchNorm'>,
  weight: (key: string) => tf.Tensor,
): FoldedEntry {
  const kernel = weight(`${conv.name}/kernel`) as tf.Tensor4D;
  const convBias = conv.bias ? (weight(`${conv.name}/bias`) as tf.Tensor1D) : undefined;
  const constKernel = conv.constInput ? (weight(`${conv.name}/constKernel`) as tf.Tensor4D) : undefined;
  const gamma = weight(`${bn.name}/gamma`) as tf.Tensor1D;
  const beta = weight(`${bn.name}/beta`) as tf.Tensor1D;
  const mean = weight(`${bn.name}/movingMean`) as tf.Tensor1D;
  const variance = weight(`${bn.name}/movingVariance`) as tf.Tensor1D;
  const sources = [kernel, convBias, constKernel, gamma, beta, mean, variance].map((t) => (t ? dataOf(t) : null)).filter((d): d is object => d !== null);
  const hit = cache.get(conv.name);
  if (hit && hit.sources.length === sources.length && hit.sources.every((d, i) => d === sources[i])) return hit;
  if (hit) disposeFolded(hit);
  const folded = foldBatchNorm(kernel, gamma, beta, mean, variance, bn.epsilon, convBias);
  const entry: FoldedEntry = { kernel: tf.keep(folded.kernel), bias: tf.keep(folded.bias), constMaps: new Map(), sources };
  if (constKernel) {
    // The constant input's contribution goes through the BatchNorm scale only (its shift is in the bias).
    entry.constKernel = tf.keep(tf.tidy(() => tf.mul(constKernel, tf.mul(gamma, tf.rsqrt(tf.add(variance, bn.epsilon)))) as tf.Tensor4D));
  }
  cache.set(conv.name, entry);
  return entry;
}

/**
 * The [C] bias of a scattered tail: the scatter's own bias (constants of the removed channels)
 * plus the folded conv bias moved to the kept channels. Cached on the entry while the scatter
 * bias keeps its data.
 */
export function scatteredTailBias(entry: FoldedEntry, scatter: NodeOf<'channelScatter'>, scatterBias: tf.Tensor1D): tf.Tensor1D {
  const source = dataOf(scatterBias);
  if (entry.tailBias?.source === source) return entry.tailBias.bias;
  entry.tailBias?.bias.dispose();
  const folded = entry.bias.dataSync();
  const full = Float32Array.from(scatterBias.dataSync());
  scatter.indices.forEach((c, j) => (full[c] = full[c]! + folded[j]!));
  entry.tailBias = { source, bias: tf.keep(tf.tensor1d(full)) };
  return entry.tailBias.bias;
}
