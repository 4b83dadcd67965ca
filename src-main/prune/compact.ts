/**
 * Hard pruning: turns a soft-pruned model (some filters exactly zero) into a
 * compact one whose outputs equal the masked model's in inference mode.
 *
 * A zeroed filter j of conv C makes C's BN output the constant
 * c_j = beta_j + gamma_j * (bias_j - mean_j) / sqrt(var_j + eps). Then:
 * - if that BN output (through ReLU / PatchShuffle) feeds only convs, the
 *   channel is removed there too and each consumer conv gets a constant-input
 *   kernel sum_j relu(c_j) * W[:,:,j,:] applied to a ones image (exact at the
 *   zero-padded borders, where a plain bias would not be);
 * - otherwise (the residual addition, pooling, the classifier) the narrow BN
 *   output is scattered back to the full width with c_j added for the removed
 *   channels, so the residual stream keeps its width.
 */
import * as tf from '@tensorflow/tfjs-core';
import { consumersOf, convNodes, expectedWeights, inferShapes, type GraphNode, type GraphSpec, type NodeOf } from '../nn/graph.ts';
import type { Model } from '../nn/forward.ts';
import { modelFromTensors } from '../nn/init.ts';

export interface CompactReport {
  /** conv name -> filters before and after. */
  layers: { name: string; before: number; after: number }[];
}

interface Plan {
  outKeep: Map<string, number[]>;
  /** consumer conv -> input channels kept, and (channel, constant value) of removed ones. */
  inChange: Map<string, { keep: number[]; removed: { j: number; v: number }[] }>;
  /** BN node -> scatter back to full width. */
  scatter: Map<string, { indices: number[]; channels: number; bias: Float32Array }>;
}

/** Filters whose output is exactly zero: kernel, bias and (after an earlier compaction) constant-input kernel all zero. */
function zeroFilters(kernel: tf.Tensor, bias: tf.Tensor | undefined, constKernel: tf.Tensor | undefined): boolean[] {
  return tf.tidy(() => {
    const out = kernel.shape[3]!;
    // [kh,kw,in,out] -> [kh*kw*in, out]
    let absSum = tf.sum(tf.abs(tf.reshape(kernel, [-1, out])), 0);
    if (bias) absSum = tf.add(absSum, tf.abs(bias));
    if (constKernel) absSum = tf.add(absSum, tf.sum(tf.abs(tf.reshape(constKernel, [-1, out])), 0));
    return Array.from(absSum.dataSync(), (s) => s === 0);
  });
}

function plan(model: Model, align: number, scatter: boolean): Plan {
  const spec = model.spec;
  const p: Plan = { outKeep: new Map(), inChange: new Map(), scatter: new Map() };
  for (const conv of convNodes(spec)) {
    const after = consumersOf(spec, conv.name);
    const bn = after[0];
    if (after.length !== 1 || bn?.op !== 'batchNorm') continue;
    const zero = zeroFilters(
      model.weights.get(`${conv.name}/kernel`)!,
      conv.bias ? model.weights.get(`${conv.name}/bias`) : undefined,
      conv.constInput ? model.weights.get(`${conv.name}/constKernel`) : undefined,
    );
    let keep = zero.flatMap((z, j) => (z ? [] : [j]));
    // Optionally keep a few zero filters so channel counts are multiples of `align` (vector
    // kernels such as XNNPACK's run faster on aligned widths); exactness is unaffected.
    if (align > 1 && keep.length % align !== 0) {
      const want = Math.min(zero.length, Math.ceil(keep.length / align) * align);
      const extra = zero.flatMap((z, j) => (z ? [j] : [])).slice(0, want - keep.length);
      keep = [...keep, ...extra].sort((a, b) => a - b);
    }
    if (keep.length === zero.length) continue;
    // A layer with every filter zero keeps one, so shapes never become empty.
    if (keep.length === 0) keep = [0];
    const removed = zero.flatMap((z, j) => (z && !keep.includes(j) ? [j] : []));
    const gamma = model.weights.get(`${bn.name}/gamma`)!.dataSync();
    const beta = model.weights.get(`${bn.name}/beta`)!.dataSync();
    const mean = model.weights.get(`${bn.name}/movingMean`)!.dataSync();
    const variance = model.weights.get(`${bn.name}/movingVariance`)!.dataSync();
    const bias = conv.bias ? model.weights.get(`${conv.name}/bias`)!.dataSync() : null;
    const constant = (j: number): number => beta[j]! + (gamma[j]! * ((bias ? bias[j]! : 0) - mean[j]!)) / Math.sqrt(variance[j]! + bn.epsilon);

    // Follow per-channel ops with a single consumer to see where the channels go.
    let end: GraphNode = bn;
    let relu = false;
    for (;;) {
      const next = consumersOf(spec, end.name);
      const only = next[0];
      if (next.length !== 1 || !only || (only.op !== 'relu' && only.op !== 'patchShuffle')) break;
      if (only.op === 'relu') relu = true;
      end = only;
    }
    const readers = consumersOf(spec, end.name);
    const narrowable = readers.length > 0 && readers.every((r) => r.op === 'conv2d');
    // Without scatters, convs feeding the residual stream keep their zero filters.
    if (!narrowable && !scatter) continue;
    p.outKeep.set(conv.name, keep);
    if (narrowable) {
      for (const r of readers) {
        p.inChange.set(r.name, { keep, removed: removed.map((j) => ({ j, v: relu ? Math.max(0, constant(j)) : constant(j) })) });
      }
    } else {
      const b = new Float32Array(conv.filters);
      for (const j of removed) b[j] = constant(j);
      p.scatter.set(bn.name, { indices: keep, channels: conv.filters, bias: b });
    }
  }
  return p;
}

/** Builds the compact model (new tensors; the input model is left untouched). */
export interface CompactOptions {
  /** Round kept filter counts up to a multiple of this by keeping some zero filters (1 = remove all). */
  align?: number;
  /**
   * true (default): also remove zero filters of convs feeding the residual stream (stem,
   * block-last, downsample) and scatter their outputs back to full width: the most MACs
   * saved. false: those convs keep their zero filters (no scatter ops); fewer MACs saved,
   * but fewer, simpler ops, which can be faster on engines with a high per-op cost.
   */
  scatter?: boolean;
}

export function compactModel(model: Model, options: CompactOptions = {}): { model: Model; report: CompactReport } {
  const spec = model.spec;
  const p = plan(model, Math.max(1, Math.floor(options.align ?? 1)), options.scatter ?? true);
  const nodes: GraphNode[] = [];
  const rename = new Map<string, string>();
  const bnChannels = new Map<string, number[]>();
  for (const [convName, keep] of p.outKeep) {
    const bn = consumersOf(spec, convName)[0]!;
    bnChannels.set(bn.name, keep);
  }
  const ref = (name: string): string => rename.get(name) ?? name;
  for (const n of spec.nodes) {
    const copy = structuredClone(n) as GraphNode;
    if ('input' in copy) copy.input = ref(copy.input);
    if (copy.op === 'add') copy.inputs = [ref(copy.inputs[0]), ref(copy.inputs[1])];
    if (copy.op === 'conv2d') {
      const keep = p.outKeep.get(n.name);
      if (keep) copy.filters = keep.length;
      const inChange = p.inChange.get(n.name);
      if (inChange) {
        copy.inChannels = inChange.keep.length;
        if (inChange.removed.length > 0) copy.constInput = true;
      }
    }
    if (copy.op === 'batchNorm') {
      const keep = bnChannels.get(n.name);
      if (keep) copy.channels = keep.length;
    }
    nodes.push(copy);
    const sc = p.scatter.get(n.name);
    if (sc) {
      // A model compacted before already has `<bn>/scatter`: number further ones.
      const taken = new Set(spec.nodes.map((m) => m.name));
      let scName = `${n.name}/scatter`;
      for (let i = 2; taken.has(scName); i++) scName = `${n.name}/scatter${i}`;
      nodes.push({ op: 'channelScatter', name: scName, input: n.name, channels: sc.channels, indices: sc.indices });
      rename.set(n.name, scName);
    }
  }
  const outputs = { ...spec.outputs, logits: ref(spec.outputs.logits) };
  if (spec.outputs.features) outputs.features = ref(spec.outputs.features);
  if (spec.outputs.classMaps) outputs.classMaps = ref(spec.outputs.classMaps);
  const compact: GraphSpec = { ...spec, nodes, outputs };
  inferShapes(compact);

  const out = new Map<string, tf.Tensor>();
  tf.tidy(() => {
    const idx = (a: number[]): tf.Tensor1D => tf.tensor1d(a, 'int32');
    for (const n of compact.nodes) {
      if (n.op === 'conv2d') {
        const orig = spec.nodes.find((m) => m.name === n.name) as NodeOf<'conv2d'>;
        const keepOut = p.outKeep.get(n.name) ?? Array.from({ length: orig.filters }, (_, i) => i);
        const inChange = p.inChange.get(n.name);
        let k = tf.gather(model.weights.get(`${n.name}/kernel`)!, idx(keepOut), 3); // [kh,kw,in,out] -> [kh,kw,in,out']
        let constKernel: tf.Tensor | null = orig.constInput ? tf.gather(model.weights.get(`${n.name}/constKernel`)!, idx(keepOut), 3) : null;
        if (inChange) {
          if (inChange.removed.length > 0) {
            const removedW = tf.gather(k, idx(inChange.removed.map((r) => r.j)), 2); // -> [kh,kw,R,out']
            const values = tf.reshape(tf.tensor1d(inChange.removed.map((r) => r.v)), [1, 1, -1, 1]); // [R] -> [1,1,R,1]
            const folded = tf.sum(tf.mul(removedW, values), 2, true); // -> [kh,kw,1,out']
            constKernel = constKernel ? tf.add(constKernel, folded) : folded;
          }
          k = tf.gather(k, idx(inChange.keep), 2); // -> [kh,kw,in',out']
        }
        out.set(`${n.name}/kernel`, tf.keep(k));
        if (n.bias) out.set(`${n.name}/bias`, tf.keep(tf.gather(model.weights.get(`${n.name}/bias`)!, idx(keepOut))));
        if (n.constInput && constKernel) out.set(`${n.name}/constKernel`, tf.keep(constKernel));
      } else if (n.op === 'batchNorm') {
        const keep = bnChannels.get(n.name);
        for (const leaf of ['gamma', 'beta', 'movingMean', 'movingVariance']) {
          const t = model.weights.get(`${n.name}/${leaf}`)!;
          out.set(`${n.name}/${leaf}`, tf.keep(keep ? tf.gather(t, idx(keep)) : tf.clone(t)));
        }
      } else if (n.op === 'channelScatter') {
        const existing = model.weights.get(`${n.name}/bias`);
        // A scatter of an earlier compaction keeps its bias; a new one reads the plan of the BN it follows.
        out.set(`${n.name}/bias`, tf.keep(existing ? tf.clone(existing) : tf.tensor1d(p.scatter.get(n.input)!.bias)));
      } else if (n.op === 'dense') {
        out.set(`${n.name}/kernel`, tf.keep(tf.clone(model.weights.get(`${n.name}/kernel`)!)));
        if (n.bias) out.set(`${n.name}/bias`, tf.keep(tf.clone(model.weights.get(`${n.name}/bias`)!)));
      }
    }
  });
  const tensors = out;
  const missing = expectedWeights(compact).filter((w) => !tensors.has(w.name));
  if (missing.length > 0) {
    tf.dispose([...tensors.values()]);
    throw new Error(`Hard pruning left weights undefined: ${missing.map((m) => m.name).join(', ')}.`);
  }
  const report: CompactReport = {
    layers: convNodes(spec).map((c) => ({ name: c.name, before: c.filters, after: p.outKeep.get(c.name)?.length ?? c.filters })),
  };
  return { model: modelFromTensors(compact, tensors), report };
}
