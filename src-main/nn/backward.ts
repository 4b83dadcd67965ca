/**
 * A training step's forward and backward pass over the graph spec, written by hand instead of
 * through TF.js' gradient tape, to hold less memory at the peak (the end of the forward pass):
 *
 * - The tape keeps every tensor a kernel saved (conv inputs, BatchNorm inputs, ReLU inputs:
 *   nearly every activation) plus every intermediate gradient until the whole backward pass ends.
 * - Here each node keeps only what its own backward reads, and every tensor is freed as soon as
 *   its last reader is done: a BatchNorm's output is freed once its ReLU ran (ReLU's backward
 *   reads its output, the next conv's input, which the conv keeps anyway), an add's output once
 *   its ReLU ran, a gradient once it has been passed on, a saved activation once its node's
 *   backward ran. ResNet blocks keep 3 tensors of activation each instead of about 7 plus
 *   their gradients.
 *
 * The kernels are the ones the tape's gradients call (Conv2DBackpropInput/Filter, the fused
 * BatchNorm gradient, dy * step(y) for ReLU in one kernel, ...), in the same order, so gradients match the
 * tape path's (test/nn/backward.test.ts compares them for every registry model). Ops without a
 * hand-written gradient here (frozen BatchNorm, maxPool, patchShuffle, channelScatter) keep their
 * inputs and replay their forward under a local tape for their gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphSpec, NodeOf, Padding } from './graph.ts';
import { forwardNode, type BatchStats, type Model } from './forward.ts';
import { routingKernel } from '../engine/ops/conv-tail.ts';
import {
  batchNormAddRelu,
  batchNormAddReluTrainBackward,
  batchNormReluTrainBackward,
  batchNormTrainBackward,
  batchNormTrainForward,
  batchNormTrainMoments,
  fusedAddReluActive,
  type BatchNormSaved,
} from '../engine/ops/batch-norm.ts';
import { reluGrad } from '../engine/ops/relu-grad.ts';
import { BACKPROP_INPUT_ADD, backpropInputAddActive } from '../engine/ops/backprop-input-add.ts';

export interface TrainGradientsOptions {
  /** Seed for the training-time randomness of this step (PatchShuffle). */
  seed?: number;
  /** Receives each training-mode BatchNorm's batch mean and biased variance (the caller disposes them). */
  batchStats?: BatchStats;
  /** Called with the live tensor bytes at the end of the forward pass (the step's peak), for the memory benchmark. */
  onForwardEnd?: (bytes: number) => void;
}

export interface TrainGradientsResult {
  /** The loss (caller disposes). */
  loss: tf.Scalar;
  /** [B, numClasses] logits of the forward pass (caller disposes). */
  logits: tf.Tensor2D;
  /** Gradients by weight name for the weights asked for (caller disposes). */
  grads: Map<string, tf.Tensor>;
}

/** Why `trainGradients` cannot run a spec (null when it can): dilated convs have no gradient kernels. */
export function manualBackwardUnsupported(spec: GraphSpec): string | null {
  for (const n of spec.nodes) {
    if (n.op === 'conv2d' && (n.dilation[0] !== 1 || n.dilation[1] !== 1)) return `conv "${n.name}" is dilated`;
  }
  return null;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
function tfPad(p: Padding): 'same' | 'valid' | Pad4 {
  if (p === 'same' || p === 'valid') return p;
  return [[0, 0], p[0], p[1], [0, 0]];
}

type KernelAttrs = Parameters<ReturnType<typeof tf.engine>['runKernel']>[2];
function run(name: string, inputs: tf.NamedTensorMap, attrs: KernelAttrs): tf.Tensor {
  const out = tf.engine().runKernel(name, inputs, attrs);
  return Array.isArray(out) ? out[0]! : out;
}

/** What one node left for its backward pass. */
interface Step {
  node: GraphSpec['nodes'][number];
  /** Producers of the node's inputs, in order. */
  inputs: string[];
  /**
   * Gradients for each input (null where none is needed) and adds weight gradients to `grads`.
   * `addend`: the gradient already gathered for input 0, to be added into its new one (only
   * offered to steps with `takesAddend`; when input 0's gradient is returned, it includes it).
   */
  backward(dy: tf.Tensor, addend?: tf.Tensor): Array<tf.Tensor | null>;
  /** A conv: its backprop-input can add another gradient of its input while writing its own. */
  takesAddend?: boolean;
  /** Tensors this step holds for its backward (released after it ran, or when no gradient reaches it). */
  saved: tf.Tensor[];
  /** Small tensors only this step uses (BatchNorm statistics), disposed after its backward slot. */
  owned?: tf.Tensor[];
}

/**
 * Forward in training mode, the loss, and the backward pass, freeing as it goes. Returns the
 * gradients of `loss(logits)` for the weights named in `wanted` (default: every trainable weight).
 */
export function trainGradients(
  model: Model,
  x: tf.Tensor4D,
  loss: (logits: tf.Tensor2D) => tf.Scalar,
  opts: TrainGradientsOptions = {},
  wanted?: ReadonlySet<string>,
): TrainGradientsResult {
  const spec = model.spec;
  const why = manualBackwardUnsupported(spec);
  if (why) throw new Error(`trainGradients: ${why}; use the tape path.`);
  if (x.shape[3] !== spec.input.channels) throw new Error(`The model expects ${spec.input.channels} input channels, got ${x.shape[3]}.`);
  const weight = (key: string): tf.Tensor => {
    const t = model.weights.get(key);
    if (!t) throw new Error(`Weight "${key}" is missing from the model.`);
    return t;
  };
  const wants = (key: string): boolean => (wanted ? wanted.has(key) : model.weights.get(key) instanceof tf.Variable && (model.weights.get(key) as tf.Variable).trainable);

  // Reference counts of the tensors this function created (never x or weights): readers in the
  // forward pass plus saves for the backward pass.
  const refs = new Map<tf.Tensor, number>();
  const hold = (t: tf.Tensor): void => {
    const n = refs.get(t);
    if (n !== undefined) refs.set(t, n + 1);
  };
  const release = (t: tf.Tensor): void => {
    const n = refs.get(t);
    if (n === undefined) return;
    if (n <= 1) {
      refs.delete(t);
      t.dispose();
    } else refs.set(t, n - 1);
  };

  const readers = new Map<string, number>();
  const inputsOf = (n: GraphSpec['nodes'][number]): string[] => (n.op === 'input' ? [] : n.op === 'add' ? [...n.inputs] : [n.input]);
  for (const n of spec.nodes) for (const i of inputsOf(n)) readers.set(i, (readers.get(i) ?? 0) + 1);
  readers.set(spec.outputs.logits, (readers.get(spec.outputs.logits) ?? 0) + 1);

  // A training-mode BatchNorm whose only reader is a ReLU runs fused with it: the BatchNorm step
  // outputs relu(bn(x)) and takes the ReLU's gradient into its own (engine/ops/batch-norm.ts), the
  // ReLU node passes values and gradients through. Same bits as running them apart.
  const byName = new Map(spec.nodes.map((n) => [n.name, n]));
  const fusedRelu = new Set<string>(); // names of the BatchNorm and the ReLU node of each pair
  for (const n of spec.nodes) {
    if (n.op !== 'relu') continue;
    const bn = byName.get(n.input);
    if (bn?.op === 'batchNorm' && !bn.frozen && readers.get(bn.name) === 1) fusedRelu.add(bn.name).add(n.name);
  }

  // A ResNet block's end, BatchNorm -> Add(residual) -> ReLU, each the only reader of the one before
  // (and the BatchNorm not already fused with a ReLU): the BatchNorm step computes only its
  // statistics and passes x on, the Add step normalises, adds and applies the ReLU in one kernel
  // and takes the ReLU's gradient into its own, the ReLU node passes through. Same bits as apart.
  const blockEnds: BlockEnds = { adds: new Map(), bns: new Map(), relus: new Set() };
  if (fusedAddReluActive()) {
    for (const n of spec.nodes) {
      const add = n.op === 'relu' ? byName.get(n.input) : undefined;
      if (add?.op !== 'add' || readers.get(add.name) !== 1) continue;
      const k = add.inputs.findIndex((i) => {
        const bn = byName.get(i);
        return bn?.op === 'batchNorm' && !bn.frozen && readers.get(bn.name) === 1 && !fusedRelu.has(bn.name);
      });
      if (k < 0 || add.inputs[0] === add.inputs[1]) continue;
      blockEnds.adds.set(add.name, k);
      blockEnds.bns.set(add.inputs[k]!, null);
      blockEnds.relus.add(n.name);
    }
  }

  // Nodes whose output depends on a wanted weight: only they pass gradients on.
  const needsGrad = new Set<string>();
  const weightsOf = (n: GraphSpec['nodes'][number]): string[] =>
    n.op === 'conv2d' ? [`${n.name}/kernel`, ...(n.bias ? [`${n.name}/bias`] : [])]
    : n.op === 'batchNorm' ? [`${n.name}/gamma`, `${n.name}/beta`]
    : n.op === 'dense' ? [`${n.name}/kernel`, ...(n.bias ? [`${n.name}/bias`] : [])]
    : n.op === 'channelScatter' ? [`${n.name}/bias`]
    : [];
  for (const n of spec.nodes) if (weightsOf(n).some(wants) || inputsOf(n).some((i) => needsGrad.has(i))) needsGrad.add(n.name);

  const grads = new Map<string, tf.Tensor>();
  const addGrad = (key: string, g: tf.Tensor): void => {
    if (wants(key)) grads.set(key, g);
    else g.dispose();
  };

  const values = new Map<string, tf.Tensor>();
  const steps: Step[] = [];
  try {
    for (const n of spec.nodes) {
      const ins = inputsOf(n);
      const inVals = ins.map((i) => values.get(i)!);
      const step = n.op === 'input' ? null : forwardStep(model, n, inVals, ins.map((i) => needsGrad.has(i)), opts, weight, wants, addGrad, fusedRelu.has(n.name), blockEnds);
      // An identity node (PatchShuffle at probability 0) returns its input: a clone gets its own count.
      const y = n.op === 'input' ? x : inVals.includes(step!.y) ? tf.clone(step!.y) : step!.y;
      if (n.op !== 'input') refs.set(y, readers.get(n.name) ?? 0);
      values.set(n.name, y);
      if (step) {
        for (const t of step.step.saved) hold(t);
        steps.push(step.step);
      }
      // This node has read its inputs: release them (a tensor without readers is freed now).
      for (const t of inVals) release(t);
      if ((readers.get(n.name) ?? 0) === 0 && n.op !== 'input') release(y);
    }
    const logits = values.get(spec.outputs.logits) as tf.Tensor2D;
    opts.onForwardEnd?.(tf.memory().numBytes);

    // The loss and its gradient at the logits, through a tape over the loss alone.
    const { value, grad } = tf.valueAndGrad((l: tf.Tensor2D) => loss(l))(logits);
    const dys = new Map<string, tf.Tensor>([[spec.outputs.logits, grad]]);
    const pass = (name: string, g: tf.Tensor): void => {
      const cur = dys.get(name);
      if (!cur) {
        dys.set(name, g);
        return;
      }
      dys.set(name, tf.add(cur, g));
      cur.dispose();
      g.dispose();
    };
    // A conv whose input already has a gradient (a ResNet block's input: the shortcut's, which the
    // backward pass reaches first) adds it in its backprop-input kernel instead of a separate Add
    // (one pass less over the block's input; the same sum, dx_conv + addend).
    const fuseDx = backpropInputAddActive();
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      const dy = dys.get(step.node.name);
      if (dy && needsGrad.has(step.node.name)) {
        dys.delete(step.node.name);
        const addend = fuseDx && step.takesAddend ? dys.get(step.inputs[0]!) : undefined;
        const dxs = step.backward(dy, addend);
        if (addend && dxs[0]) {
          dys.delete(step.inputs[0]!);
          addend.dispose();
        }
        dy.dispose();
        dxs.forEach((dx, k) => {
          if (dx) pass(step.inputs[k]!, dx);
        });
      }
      for (const t of step.saved) release(t);
      step.saved = [];
      tf.dispose(step.owned ?? []);
    }
    for (const g of dys.values()) g.dispose();
    // The caller owns the logits; drop this function's count for them. Kept: a caller's tidy must not free the results.
    refs.delete(logits);
    return { loss: tf.keep(value as tf.Scalar), logits: tf.keep(logits), grads: new Map([...grads].map(([k, g]) => [k, tf.keep(g)])) };
  } catch (error) {
    tf.dispose([...grads.values()]);
    throw error;
  } finally {
    // On success nothing is counted any more; after an error everything still held goes.
    for (const t of refs.keys()) t.dispose();
    refs.clear();
    for (const s of steps) tf.dispose(s.owned ?? []);
  }
}

type WeightFn = (key: string) => tf.Tensor;

/** The fused block ends of one step: add name -> index of its BatchNorm input; BatchNorm name -> its parameters and statistics once run; the ReLUs after the adds. */
interface BlockEnds {
  adds: Map<string, number>;
  bns: Map<string, { gamma: tf.Tensor1D; beta: tf.Tensor1D; mean: tf.Tensor1D; invstd: tf.Tensor1D; grads?: [tf.Tensor, tf.Tensor] } | null>;
  relus: Set<string>;
}

/** Keeps a copy of a BatchNorm's batch statistics where the caller asked for them (running-statistics update). */
function recordBatchStats(opts: TrainGradientsOptions, name: string, x: tf.Tensor, s: { mean: tf.Tensor1D; variance: tf.Tensor1D }): void {
  if (opts.batchStats) opts.batchStats.set(name, { mean: tf.keep(tf.clone(s.mean)), variance: tf.keep(tf.clone(s.variance)), count: x.shape[0]! * x.shape[1]! * x.shape[2]! });
}

/** One node's forward output and its backward step. */
function forwardStep(
  model: Model,
  n: Exclude<GraphSpec['nodes'][number], NodeOf<'input'>>,
  ins: tf.Tensor[],
  inNeedsGrad: boolean[],
  opts: TrainGradientsOptions,
  weight: WeightFn,
  wants: (key: string) => boolean,
  addGrad: (key: string, g: tf.Tensor) => void,
  /** A BatchNorm followed by its only reader, a ReLU, or that ReLU: the pair runs fused. */
  fusedRelu = false,
  blockEnds?: BlockEnds,
): { y: tf.Tensor; step: Step } {
  const inputs = n.op === 'add' ? [...n.inputs] : [n.input];
  const x = ins[0]!;
  switch (n.op) {
    case 'conv2d': {
      const y = tf.tidy(() => forwardNode(model, n, x, { training: true }));
      const kernelKey = `${n.name}/kernel`;
      const pad = tfPad(n.padding);
      const kernel = weight(kernelKey) as tf.Tensor4D;
      const conv = { strides: n.strides, pad, dataFormat: 'NHWC' };
      const wantKernel = wants(kernelKey);
      return {
        y,
        step: {
          node: n,
          inputs,
          saved: wantKernel ? [x] : [],
          takesAddend: true,
          backward: (dy, addend) => {
            if (n.bias) addGrad(`${n.name}/bias`, tf.tidy(() => tf.reshape(tf.sum(dy, [0, 1, 2]), [n.filters])));
            if (wantKernel) addGrad(kernelKey, run('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: kernel.shape }));
            if (!inNeedsGrad[0]) return [null];
            const attrs = { ...conv, inputShape: x.shape };
            return [addend ? run(BACKPROP_INPUT_ADD, { dy, filter: kernel, addend }, attrs) : run('Conv2DBackpropInput', { dy, filter: kernel }, attrs)];
          },
        },
      };
    }
    case 'batchNorm': {
      if (n.frozen) return replayed(model, n, ins, inputs, inNeedsGrad, weight, addGrad, opts);
      const gamma = weight(`${n.name}/gamma`) as tf.Tensor1D;
      const beta = weight(`${n.name}/beta`) as tf.Tensor1D;
      if (blockEnds?.bns.has(n.name)) {
        // Normalised by the block end's Add, whose backward also gives this BatchNorm's gradients:
        // here the statistics only, and x passed on both ways (the caller clones it).
        const m = batchNormTrainMoments(x, gamma, beta, n.epsilon);
        recordBatchStats(opts, n.name, x, m);
        m.variance.dispose();
        const entry = { gamma, beta, mean: m.mean, invstd: m.invstd } as NonNullable<ReturnType<BlockEnds['bns']['get']>>;
        blockEnds.bns.set(n.name, entry);
        const backward = (dy: tf.Tensor): Array<tf.Tensor | null> => {
          // gamma's and beta's gradients, from the Add's step, added here: the gradients keep the order of the unfused pass.
          const [dgamma, dbeta] = entry.grads!;
          entry.grads = undefined;
          addGrad(`${n.name}/gamma`, dgamma);
          addGrad(`${n.name}/beta`, dbeta);
          return [inNeedsGrad[0] ? tf.clone(dy) : null];
        };
        return { y: x, step: { node: n, inputs, saved: [], owned: [m.mean, m.invstd], backward } };
      }
      const f = batchNormTrainForward(x, gamma, beta, n.epsilon, fusedRelu);
      recordBatchStats(opts, n.name, x, f);
      f.variance.dispose();
      const saved: BatchNormSaved = { x, gamma, mean: f.mean, invstd: f.invstd };
      return {
        y: f.y,
        step: {
          node: n,
          inputs,
          // Fused with a ReLU: y is the ReLU's output, which its gradient reads (the next conv keeps it anyway).
          saved: fusedRelu ? [x, f.y] : [x],
          owned: [f.mean, f.invstd],
          backward: (dy) => {
            const [dx, dgamma, dbeta] = fusedRelu ? batchNormReluTrainBackward(dy, f.y, saved) : batchNormTrainBackward(dy, saved);
            addGrad(`${n.name}/gamma`, dgamma!);
            addGrad(`${n.name}/beta`, dbeta!);
            if (inNeedsGrad[0]) return [dx!];
            dx!.dispose();
            return [null];
          },
        },
      };
    }
    case 'relu': {
      // After a fused BatchNorm, x already is relu(bn): pass it on (the caller clones it, Identity
      // shares the data) and the gradient back unchanged; the BatchNorm step applies ReLU's.
      if (fusedRelu || blockEnds?.relus.has(n.name)) return { y: x, step: { node: n, inputs, saved: [], backward: (dy) => [tf.clone(dy)] } };
      const y = tf.relu(x);
      // relu(x) > 0 exactly where x > 0: the output's step is the tape's step(x), and the output
      // is usually kept anyway (it is the next conv's input), the input is not. One fused kernel
      // where the engine has it (engine/ops/relu-grad.ts), the same bits as the tape's chain.
      return { y, step: { node: n, inputs, saved: [y], backward: (dy) => [reluGrad(dy, y)] } };
    }
    case 'add': {
      const k = blockEnds?.adds.get(n.name);
      if (k !== undefined) {
        // relu(bn(ins[k]) + ins[1-k]); ins[k] is the BatchNorm's input, passed on by its step.
        const bnName = inputs[k]!;
        const bn = blockEnds!.bns.get(bnName)!;
        const xb = ins[k]!;
        const y = batchNormAddRelu(xb, bn.gamma, bn.beta, bn.mean, bn.invstd, ins[1 - k]!);
        const backward = (dy: tf.Tensor): Array<tf.Tensor | null> => {
          // g = the ReLU's gradient, which the Add gives the residual as it is and the BatchNorm
          // takes into its own: dx there is for the BatchNorm's input (its step passes it on).
          const [dx, dgamma, dbeta, g] = batchNormAddReluTrainBackward(dy, y, { x: xb, gamma: bn.gamma, mean: bn.mean, invstd: bn.invstd });
          // The BatchNorm's step runs next on this path (it needs a gradient exactly when its input here does).
          if (inNeedsGrad[k]) bn.grads = [dgamma!, dbeta!];
          else {
            addGrad(`${bnName}/gamma`, dgamma!);
            addGrad(`${bnName}/beta`, dbeta!);
          }
          const out: Array<tf.Tensor | null> = [null, null];
          out[k] = inNeedsGrad[k] ? dx! : null;
          out[1 - k] = inNeedsGrad[1 - k] ? g! : null;
          if (!inNeedsGrad[k]) dx!.dispose();
          if (!inNeedsGrad[1 - k]) g!.dispose();
          return out;
        };
        return { y, step: { node: n, inputs, saved: [xb, y], backward } };
      }
      const y = tf.add(x, ins[1]!);
      return { y, step: { node: n, inputs, saved: [], backward: (dy) => [inNeedsGrad[0] ? tf.clone(dy) : null, inNeedsGrad[1] ? tf.clone(dy) : null] } };
    }
    case 'shortcutA': {
      const y = tf.tidy(() => forwardNode(model, n, x, { training: true }));
      const shape = x.shape;
      return {
        y,
        step: {
          node: n,
          inputs,
          saved: [],
          backward: (dy) => [
            tf.tidy(() => {
              // The forward's routing kernel, [1,1,C,C+pads]: its transposed conv routes dy back.
              const filter = routingKernel(Array.from({ length: n.inChannels }, (_, i) => i + n.padBefore), n.inChannels + n.padBefore + n.padAfter);
              return run('Conv2DBackpropInput', { dy, filter }, { strides: n.stride, pad: 'valid', dataFormat: 'NHWC', inputShape: shape });
            }),
          ],
        },
      };
    }
    case 'globalAvgPool': {
      const y = tf.mean(x, [1, 2]); // [B,H,W,C] -> [B,C]
      const [b, h, w, c] = x.shape as [number, number, number, number];
      // Mean's gradient as the tape computes it: dy broadcast over H, W and divided by H*W.
      return { y, step: { node: n, inputs, saved: [], backward: (dy) => [tf.tidy(() => tf.div(tf.mul(tf.reshape(dy, [b, 1, 1, c]), tf.ones([b, h, w, c], 'float32')), h * w))] } };
    }
    case 'dense': {
      const kernelKey = `${n.name}/kernel`;
      const kernel = weight(kernelKey) as tf.Tensor2D;
      let y = tf.matMul(x as tf.Tensor2D, kernel);
      if (n.bias) {
        const d = y;
        y = tf.add(d, weight(`${n.name}/bias`));
        d.dispose();
      }
      return {
        y,
        step: {
          node: n,
          inputs,
          saved: [x],
          backward: (dy) => {
            if (n.bias) addGrad(`${n.name}/bias`, tf.tidy(() => tf.reshape(tf.sum(dy, [0]), [n.units])));
            if (wants(kernelKey)) addGrad(kernelKey, tf.matMul(x as tf.Tensor2D, dy as tf.Tensor2D, true, false));
            return [inNeedsGrad[0] ? tf.matMul(dy as tf.Tensor2D, kernel, false, true) : null];
          },
        },
      };
    }
    case 'maxPool':
    case 'patchShuffle':
    case 'channelScatter':
      return replayed(model, n, ins, inputs, inNeedsGrad, weight, addGrad, opts);
  }
}

/**
 * Ops without a hand-written gradient: keep the input, replay the node under a local tape in the
 * backward pass (cheap ops, or rare ones like frozen BatchNorm), gradients for the input and weights.
 */
function replayed(
  model: Model,
  n: NodeOf<'batchNorm' | 'maxPool' | 'patchShuffle' | 'channelScatter'>,
  ins: tf.Tensor[],
  inputs: string[],
  inNeedsGrad: boolean[],
  weight: WeightFn,
  addGrad: (key: string, g: tf.Tensor) => void,
  opts: TrainGradientsOptions,
): { y: tf.Tensor; step: Step } {
  const x = ins[0]!;
  // Frozen BatchNorm uses running statistics, so a replay reads the same values; PatchShuffle replays with the same seed.
  const nodeOpts = { training: true, seed: opts.seed };
  const y = tf.tidy(() => forwardNode(model, n, x, nodeOpts));
  const weightKeys = n.op === 'batchNorm' ? [`${n.name}/gamma`, `${n.name}/beta`] : n.op === 'channelScatter' ? [`${n.name}/bias`] : [];
  return {
    y,
    step: {
      node: n,
      inputs,
      saved: [x],
      backward: (dy) => {
        const ws = weightKeys.map(weight);
        const g = tf.grads((...args: tf.Tensor[]) => {
          const local: Model = { ...model, weights: new Map(model.weights) };
          weightKeys.forEach((k, i) => local.weights.set(k, args[i + 1]!));
          return forwardNode(local, n, args[0]!, nodeOpts);
        })([x, ...ws], dy);
        weightKeys.forEach((k, i) => addGrad(k, g[i + 1]!));
        if (inNeedsGrad[0]) return [g[0]!];
        g[0]!.dispose();
        return [null];
      },
    },
  };
}
