/**
 * The forward pass of a graph on tfjs-core ops. Pure function of (spec,
 * weights, input): no hidden state, so the same code serves training,
 * evaluation, pruning and export checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphSpec, NodeOf, Padding } from './graph.ts';
import { mulberry32, hashSeed } from '../common/random.ts';
import { batchNormTrain } from '../engine/ops/batch-norm.ts';
import { runningStatsUpdate } from '../engine/ops/running-stats.ts';
import { foldCacheOf, foldPlan, foldedWeights, scatteredTailBias, type FoldChain } from './eval-fold.ts';
import { convTail, routingKernel } from '../engine/ops/conv-tail.ts';

/** A model in memory: the spec and its weights (trainable ones are tf.Variable). */
export interface Model {
  spec: GraphSpec;
  weights: Map<string, tf.Tensor>;
  /**
   * Input-independent tensors computed once per input size (constant-input maps of
   * hard-pruned convs); derived from non-trainable weights, freed by disposeModel.
   */
  constCache?: Map<string, tf.Tensor>;
}

/** Batch statistics of each training-mode BatchNorm, kept out of the tidy scope for the running-average update. */
export type BatchStats = Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }>;

export interface ForwardOptions {
  /** Training mode: BatchNorm uses batch statistics, PatchShuffle is active. */
  training: boolean;
  /** Seed for the training-time randomness of this step (PatchShuffle). */
  seed?: number;
  /** When given in training mode, receives each BatchNorm's batch mean and (biased) variance; the caller disposes them. */
  batchStats?: BatchStats;
  /** Node outputs to return besides logits and features (e.g. feature maps for side branches), in `ForwardResult.nodes`. */
  taps?: readonly string[];
}

export interface ForwardResult {
  /** [B, numClasses] */
  logits: tf.Tensor2D;
  /** [B, F] pooled features before the classifier, when the spec names them. */
  features?: tf.Tensor2D;
  /** The outputs of `ForwardOptions.taps`, by node name. */
  nodes?: Map<string, tf.Tensor>;
}

/**
 * Training-mode BatchNorm implementation. Default: the engine's batchNormTrain
 * (its gradient avoids materialised Tile broadcasts, much faster on wasm);
 * initEngine installs it too. Gradients of core ops must be registered
 * (initEngine does it) before training.
 */
export type BatchNormTrainOp = typeof batchNormTrain;
let batchNormTrainOp: BatchNormTrainOp = batchNormTrain;
export function setBatchNormTrainOp(op: BatchNormTrainOp): void {
  batchNormTrainOp = op;
}

function w(model: Model, key: string): tf.Tensor {
  const t = model.weights.get(key);
  if (!t) throw new Error(`Weight "${key}" is missing from the model.`);
  return t;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
function tfPad(p: Padding): 'same' | 'valid' | Pad4 {
  if (p === 'same' || p === 'valid') return p;
  return [[0, 0], p[0], p[1], [0, 0]];
}

function conv(model: Model, n: NodeOf<'conv2d'>, x: tf.Tensor4D): tf.Tensor4D {
  const kernel = w(model, `${n.name}/kernel`) as tf.Tensor4D;
  const pad = tfPad(n.padding);
  let y = tf.conv2d(x, kernel, n.strides, pad, 'NHWC', n.dilation);
  if (n.bias) y = tf.add(y, w(model, `${n.name}/bias`));
  if (n.constInput) {
    // What the removed constant input channels contributed: a conv of a ones image,
    // [1,H,W,1] -> [1,OH,OW,F], broadcast over the batch. It depends only on the input
    // size, so it is computed once per size and kept with the model.
    const key = `${n.name}|${x.shape[1]}x${x.shape[2]}`;
    let constMap = model.constCache?.get(key);
    if (!constMap) {
      constMap = tf.keep(
        tf.tidy(() => tf.conv2d(tf.ones([1, x.shape[1], x.shape[2], 1]) as tf.Tensor4D, w(model, `${n.name}/constKernel`) as tf.Tensor4D, n.strides, pad, 'NHWC', n.dilation)),
      );
      (model.constCache ??= new Map()).set(key, constMap);
    }
    y = tf.add(y, constMap);
  }
  return y;
}

/**
 * Evaluation: conv -> BatchNorm (-> ReLU), or a whole block tail conv -> BatchNorm [-> scatter]
 * -> add(residual) [-> ReLU], as one conv-tail op with the folded kernel and bias
 * (engine/ops/conv-tail.ts; one pass over the output with the native kernels).
 */
function foldedConv(model: Model, n: NodeOf<'conv2d'>, chain: FoldChain, x: tf.Tensor4D, residual?: tf.Tensor4D): tf.Tensor4D {
  // Cached per weights map, refolded when a source weight's data changes (eval-fold.ts).
  const f = foldedWeights(foldCacheOf(model.weights), n, chain.bn, (key) => w(model, key));
  const pad = tfPad(n.padding);
  let addMap: tf.Tensor4D | undefined;
  if (f.constKernel) {
    // Hard-pruned conv: the constant-input map (as in conv(), with the folded constKernel), [1,OH,OW,F].
    const key = `${x.shape[1]}x${x.shape[2]}`;
    addMap = f.constMaps.get(key) as tf.Tensor4D | undefined;
    if (!addMap) {
      const constKernel = f.constKernel;
      addMap = tf.keep(tf.tidy(() => tf.conv2d(tf.ones([1, x.shape[1], x.shape[2], 1]) as tf.Tensor4D, constKernel, n.strides, pad, 'NHWC', n.dilation)));
      f.constMaps.set(key, addMap);
    }
  }
  const tail = chain.tail;
  const scatter = tail?.scatter;
  return convTail({
    x,
    filter: f.kernel,
    strides: n.strides,
    pad,
    dilations: n.dilation,
    bias: scatter ? scatteredTailBias(f, scatter, w(model, `${scatter.name}/bias`) as tf.Tensor1D) : f.bias,
    addMap,
    residual,
    scatter: scatter ? { indices: scatter.indices, channels: scatter.channels } : undefined,
    relu: (tail ? tail.relu : chain.relu) !== undefined,
  });
}

function batchNorm(model: Model, n: NodeOf<'batchNorm'>, x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor4D {
  const gamma = w(model, `${n.name}/gamma`) as tf.Tensor1D;
  const beta = w(model, `${n.name}/beta`) as tf.Tensor1D;
  if (!opts.training || n.frozen) {
    return tf.batchNorm4d(x, w(model, `${n.name}/movingMean`) as tf.Tensor1D, w(model, `${n.name}/movingVariance`) as tf.Tensor1D, beta, gamma, n.epsilon);
  }
  const { y, mean, variance } = batchNormTrainOp(x, gamma, beta, n.epsilon);
  if (opts.batchStats) {
    opts.batchStats.set(n.name, { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)), count: x.shape[0] * x.shape[1] * x.shape[2] });
  }
  return y;
}

// Option-A shortcuts and channel scatters run as a 1x1 convolution with a 0/1 routing kernel
// (routingKernel in engine/ops/conv-tail.ts): exact, and on wasm about 20x faster than the
// equivalent gather along the channel axis.

function shortcutA(n: NodeOf<'shortcutA'>, x: tf.Tensor4D): tf.Tensor4D {
  const out = n.inChannels + n.padBefore + n.padAfter;
  // [B,H,W,C] -> [B,ceil(H/s),ceil(W/s),C+pad]: every s-th pixel (x[:, :, ::s, ::s] in PyTorch), channels
  // shifted by padBefore with zeros around; a strided 1x1 'valid' conv does both in one op.
  return tf.conv2d(x, routingKernel(Array.from({ length: n.inChannels }, (_, i) => i + n.padBefore), out), n.stride, 'valid');
}

function channelScatter(model: Model, n: NodeOf<'channelScatter'>, x: tf.Tensor4D): tf.Tensor4D {
  // [B,H,W,K] -> [B,H,W,C]: narrow channel k lands on channel indices[k], the others are 0, then + bias.
  // One fused op (conv + bias) instead of two passes over the full-width tensor.
  return tf.fused.conv2d({ x, filter: routingKernel(n.indices, n.channels), strides: 1, pad: 'valid', bias: w(model, `${n.name}/bias`) });
}

/**
 * PatchShuffle: for each selected image, permute the pixels inside every
 * non-overlapping patch x patch block (same permutation across channels);
 * edges not divisible by the patch size stay untouched.
 */
function patchShuffle(n: NodeOf<'patchShuffle'>, x: tf.Tensor4D, seed: number): tf.Tensor4D {
  const [b, h, wd, c] = x.shape;
  const rng = mulberry32(hashSeed(seed, n.name.length, n.patch));
  const p = n.patch;
  const idx = new Int32Array(b * h * wd);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const cells = p * p;
  const perm = new Int32Array(cells);
  for (let img = 0; img < b; img++) {
    if (rng() >= n.probability) continue;
    for (let py = 0; py + p <= h; py += p) {
      for (let px = 0; px + p <= wd; px += p) {
        for (let i = 0; i < cells; i++) perm[i] = i;
        for (let i = cells - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
        }
        for (let i = 0; i < cells; i++) {
          const dst = (img * h + py + Math.floor(i / p)) * wd + px + (i % p);
          const s = perm[i]!;
          idx[dst] = (img * h + py + Math.floor(s / p)) * wd + px + (s % p);
        }
      }
    }
  }
  const flat = tf.reshape(x, [b * h * wd, c]); // [B,H,W,C] -> [B*H*W,C]
  return tf.reshape(tf.gather(flat, tf.tensor1d(idx, 'int32')), [b, h, wd, c]); // -> [B,H,W,C]
}

/** A node with one input, as forward() computes it without folding (training mode, or no fold plan). */
export type SingleInputNode = Exclude<GraphSpec['nodes'][number], NodeOf<'input'> | NodeOf<'add'>>;

/**
 * One single-input node's output without evaluation folding; forward() uses it for every node
 * it does not fold, the hand-written backward pass (backward.ts) for its forward and replays.
 */
export function forwardNode(model: Model, n: SingleInputNode, input: tf.Tensor, opts: ForwardOptions): tf.Tensor {
  const x = input as tf.Tensor4D;
  switch (n.op) {
    case 'conv2d':
      return conv(model, n, x);
    case 'batchNorm':
      return batchNorm(model, n, x, opts);
    case 'relu':
      return tf.relu(x);
    case 'shortcutA':
      return shortcutA(n, x);
    case 'maxPool':
      return tf.maxPool(x, n.poolSize, n.strides, n.padding === 'same' || n.padding === 'valid' ? n.padding : tfPad(n.padding));
    case 'globalAvgPool':
      return tf.mean(x, [1, 2]); // [B,H,W,C] -> [B,C]
    case 'dense': {
      let d = tf.matMul(input as tf.Tensor2D, w(model, `${n.name}/kernel`) as tf.Tensor2D);
      if (n.bias) d = tf.add(d, w(model, `${n.name}/bias`));
      return d;
    }
    case 'patchShuffle':
      return opts.training && n.probability > 0 ? patchShuffle(n, x, opts.seed ?? 0) : x;
    case 'channelScatter':
      return channelScatter(model, n, x);
  }
}

/**
 * Runs the graph on x [B, H, W, C] (float32, already normalised). Call inside
 * tf.tidy (or tf.variableGrads) so intermediates are freed.
 */
export function forward(model: Model, x: tf.Tensor4D, opts: ForwardOptions): ForwardResult {
  const spec = model.spec;
  const values = new Map<string, tf.Tensor>();
  const get = (key: string): tf.Tensor => {
    const v = values.get(key);
    if (!v) throw new Error(`Node output "${key}" is not available.`);
    return v;
  };
  // Evaluation folds conv -> BatchNorm (-> ReLU) chains; their BN/ReLU nodes are then already computed.
  const plan = opts.training ? undefined : foldPlan(spec);
  const fused = new Set<string>(); // BatchNorm/ReLU nodes computed by a folded conv
  const tails = new Map<string, NodeOf<'conv2d'>>(); // add node -> the conv whose folded tail it ends
  // Free intermediates early isn't possible inside a gradient tape, so outputs are kept until the caller's tidy ends.
  for (const n of spec.nodes) {
    if (fused.has(n.name)) continue;
    let y: tf.Tensor;
    switch (n.op) {
      case 'input':
        if (x.shape[3] !== spec.input.channels) throw new Error(`The model expects ${spec.input.channels} input channels, got ${x.shape[3]}.`);
        y = x;
        break;
      case 'conv2d': {
        const chain = plan?.get(n.name);
        if (chain?.tail) {
          fused.add(chain.bn.name);
          if (chain.tail.scatter) fused.add(chain.tail.scatter.name);
          if (chain.tail.relu) fused.add(chain.tail.relu.name);
          // With an add: computed when the add is reached (its residual may come later in node order).
          if (chain.tail.add) tails.set(chain.tail.add.name, n);
          else values.set(chain.last, foldedConv(model, n, chain, get(n.input) as tf.Tensor4D));
          continue;
        }
        if (chain) {
          values.set(chain.last, foldedConv(model, n, chain, get(n.input) as tf.Tensor4D));
          fused.add(chain.bn.name);
          if (chain.relu) fused.add(chain.relu.name);
          continue;
        }
        y = forwardNode(model, n, get(n.input), opts);
        break;
      }
      case 'add': {
        const tailConv = tails.get(n.name);
        const chain = tailConv ? plan?.get(tailConv.name) : undefined;
        if (tailConv && chain?.tail?.residual) {
          values.set(chain.last, foldedConv(model, tailConv, chain, get(tailConv.input) as tf.Tensor4D, get(chain.tail.residual) as tf.Tensor4D));
          continue;
        }
        y = tf.add(get(n.inputs[0]), get(n.inputs[1]));
        break;
      }
      default:
        y = forwardNode(model, n, get(n.input), opts);
    }
    values.set(n.name, y);
  }
  const result: ForwardResult = { logits: get(spec.outputs.logits) as tf.Tensor2D };
  if (spec.outputs.features) result.features = get(spec.outputs.features) as tf.Tensor2D;
  // A tapped BatchNorm/ReLU folded into its conv at evaluation has no value of its own; the error names it.
  if (opts.taps) result.nodes = new Map(opts.taps.map((name) => [name, get(name)]));
  return result;
}

/** Moves running BatchNorm statistics towards the batch statistics (PyTorch convention: unbiased variance) and disposes them. */
export function updateRunningStats(model: Model, stats: BatchStats): void {
  for (const n of model.spec.nodes) {
    if (n.op !== 'batchNorm') continue;
    const s = stats.get(n.name);
    if (!s) continue;
    const mm = model.weights.get(`${n.name}/movingMean`) as tf.Variable;
    const mv = model.weights.get(`${n.name}/movingVariance`) as tf.Variable;
    tf.tidy(() => {
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      // mean*(1-m) + batch mean*m, variance*(1-m) + batch variance*m*unbias: one kernel where the addon has it, the same bits
      const [mean, variance] = runningStatsUpdate(mm, mv, s.mean, s.variance, { keep: 1 - n.momentum, a: n.momentum, b: n.momentum * unbias });
      mm.assign(mean);
      mv.assign(variance);
    });
    s.mean.dispose();
    s.variance.dispose();
  }
  stats.clear();
}
