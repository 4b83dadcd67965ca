/**
 * The model representation every domain builds on: a serialisable graph spec
 * (plain JSON, no TF.js) of named nodes in topological order, plus a weights
 * map `name -> tensor` whose names and shapes follow from the spec
 * (`expectedWeights`). The forward pass lives in forward.ts, the file format in
 * model-file.ts; see README.md in this folder for the format and the mapping of
 * each node to ONNX / TF.js-layers ops.
 *
 * This file imports no TF.js on purpose: the API contract, the job spec files
 * and the renderer can read specs without loading a tensor engine.
 */
import { z } from 'zod';

export const GRAPH_FORMAT = 'workbench-graph';
export const GRAPH_VERSION = 1;

/**
 * Why a conv exists in its network. Pruning selects layers by role, never by
 * parameter index (SFP: all convs of CIFAR ResNets, all but 'downsample' of
 * ImageNet ResNets).
 */
export const convRoles = ['stem', 'block-conv', 'block-last', 'downsample', 'other'] as const;
export type ConvRole = (typeof convRoles)[number];

/** 'same' | 'valid' | explicit [[top, bottom], [left, right]] zero padding. */
const padding = z.union([
  z.enum(['same', 'valid']),
  z.tuple([z.tuple([z.number().int().min(0), z.number().int().min(0)]), z.tuple([z.number().int().min(0), z.number().int().min(0)])]),
]);
export type Padding = z.infer<typeof padding>;

const pair = z.tuple([z.number().int().min(1), z.number().int().min(1)]);
const name = z.string().min(1).max(200);

const inputNode = z.object({ op: z.literal('input'), name }).strict();

const conv2dNode = z
  .object({
    op: z.literal('conv2d'),
    name,
    input: name,
    /** Kernel `${name}/kernel` is [kh, kw, inChannels, filters] (TF.js layout: a filter is a slice of the LAST axis). */
    kernelSize: pair,
    inChannels: z.number().int().min(1),
    filters: z.number().int().min(1),
    strides: pair,
    padding,
    dilation: pair,
    /** `${name}/bias` [filters] when true. */
    bias: z.boolean(),
    role: z.enum(convRoles),
    /**
     * Set by hard pruning when input channels that were constant (a zeroed
     * filter's BN output) were removed: `${name}/constKernel` [kh, kw, 1, filters]
     * is their summed weight times their constant value; the node adds
     * conv2d(ones[1,H,W,1], constKernel) with the same strides/padding, which
     * is what the removed channels contributed, borders (zero padding) included.
     */
    constInput: z.boolean().optional(),
  })
  .strict();

const batchNormNode = z
  .object({
    op: z.literal('batchNorm'),
    name,
    input: name,
    channels: z.number().int().min(1),
    epsilon: z.number().positive(),
    /** Weight of the NEW batch statistic in the running average (PyTorch convention, 0.1). */
    momentum: z.number().min(0).max(1),
    /** Frozen: always normalise with the running statistics and never update them (re-ID IDE models). */
    frozen: z.boolean().optional(),
  })
  .strict();

const reluNode = z.object({ op: z.literal('relu'), name, input: name }).strict();
const addNode = z.object({ op: z.literal('add'), name, inputs: z.tuple([name, name]) }).strict();

/** Parameter-free "option A" shortcut: x[:, ::stride, ::stride, :] then zero channels padded before/after. */
const shortcutANode = z
  .object({
    op: z.literal('shortcutA'),
    name,
    input: name,
    stride: z.number().int().min(1),
    inChannels: z.number().int().min(1),
    padBefore: z.number().int().min(0),
    padAfter: z.number().int().min(0),
  })
  .strict();

const maxPoolNode = z
  .object({ op: z.literal('maxPool'), name, input: name, poolSize: pair, strides: pair, padding })
  .strict();
const globalAvgPoolNode = z.object({ op: z.literal('globalAvgPool'), name, input: name }).strict();

const denseNode = z
  .object({
    op: z.literal('dense'),
    name,
    input: name,
    /** `${name}/kernel` [inFeatures, units], `${name}/bias` [units]. */
    inFeatures: z.number().int().min(1),
    units: z.number().int().min(1),
    bias: z.boolean(),
  })
  .strict();

/** PatchShuffle (training only, identity at inference): pixels permuted inside each patch x patch block, per image with `probability`. */
const patchShuffleNode = z
  .object({ op: z.literal('patchShuffle'), name, input: name, patch: z.number().int().min(2), probability: z.number().min(0).max(1) })
  .strict();

/**
 * Hard pruning's way back into a wider tensor: out[..., indices[k]] = x[..., k],
 * other channels 0, then `+ ${name}/bias` [channels] (the constant BN output of
 * the removed channels). ONNX: a 1x1 Conv with a one-hot kernel [channels, K, 1, 1]
 * and this bias, or Concat(x, zeros) + Gather on the channel axis + Add.
 */
const channelScatterNode = z
  .object({
    op: z.literal('channelScatter'),
    name,
    input: name,
    channels: z.number().int().min(1),
    indices: z.array(z.number().int().min(0)),
  })
  .strict();

export const graphNodeSchema = z.discriminatedUnion('op', [
  inputNode,
  conv2dNode,
  batchNormNode,
  reluNode,
  addNode,
  shortcutANode,
  maxPoolNode,
  globalAvgPoolNode,
  denseNode,
  patchShuffleNode,
  channelScatterNode,
]);
export type GraphNode = z.infer<typeof graphNodeSchema>;
export type NodeOf<Op extends GraphNode['op']> = Extract<GraphNode, { op: Op }>;

export const graphSpecSchema = z
  .object({
    format: z.literal(GRAPH_FORMAT),
    version: z.literal(GRAPH_VERSION),
    /** Registry name of the architecture this graph came from (kept after hard pruning). */
    arch: z.string().min(1),
    /** The options the registry built it with (for display and rebuilding). */
    options: z.record(z.string(), z.unknown()),
    /** NHWC input; height/width are what the model was built and trained for. */
    input: z.object({ height: z.number().int().min(1), width: z.number().int().min(1), channels: z.number().int().min(1) }).strict(),
    numClasses: z.number().int().min(1),
    nodes: z.array(graphNodeSchema).min(2),
    /**
     * Node names of the outputs: logits, the pooled feature vector before the
     * classifier, and (localization heads) the class maps [B,h,w,K] whose
     * global average are the logits; exports add the class maps as an output.
     */
    outputs: z.object({ logits: name, features: name.optional(), classMaps: name.optional() }).strict(),
  })
  .strict();
export type GraphSpec = z.infer<typeof graphSpecSchema>;

export interface WeightInfo {
  name: string;
  shape: number[];
  /** Trained by the optimiser (false: BN running statistics, hard-pruning constants). */
  trainable: boolean;
}

/** Every weight the spec needs, with its shape, in node order. */
export function expectedWeights(spec: GraphSpec): WeightInfo[] {
  const out: WeightInfo[] = [];
  for (const n of spec.nodes) {
    switch (n.op) {
      case 'conv2d':
        out.push({ name: `${n.name}/kernel`, shape: [n.kernelSize[0], n.kernelSize[1], n.inChannels, n.filters], trainable: true });
        if (n.bias) out.push({ name: `${n.name}/bias`, shape: [n.filters], trainable: true });
        if (n.constInput) out.push({ name: `${n.name}/constKernel`, shape: [n.kernelSize[0], n.kernelSize[1], 1, n.filters], trainable: false });
        break;
      case 'batchNorm':
        out.push({ name: `${n.name}/gamma`, shape: [n.channels], trainable: true });
        out.push({ name: `${n.name}/beta`, shape: [n.channels], trainable: true });
        out.push({ name: `${n.name}/movingMean`, shape: [n.channels], trainable: false });
        out.push({ name: `${n.name}/movingVariance`, shape: [n.channels], trainable: false });
        break;
      case 'dense':
        out.push({ name: `${n.name}/kernel`, shape: [n.inFeatures, n.units], trainable: true });
        if (n.bias) out.push({ name: `${n.name}/bias`, shape: [n.units], trainable: true });
        break;
      case 'channelScatter':
        out.push({ name: `${n.name}/bias`, shape: [n.channels], trainable: false });
        break;
      default:
        break;
    }
  }
  return out;
}

/** Shape of a node's output, [H, W, C] for feature maps or [F] for vectors (batch left out). */
export type NodeShape = number[];

/** Output size along one axis (0: height, 1: width) of a conv or pool with these settings. */
export function convOut(size: number, k: number, s: number, d: number, pad: Padding, axis: 0 | 1): number {
  const eff = (k - 1) * d + 1;
  if (pad === 'same') return Math.ceil(size / s);
  if (pad === 'valid') return Math.floor((size - eff) / s) + 1;
  const [a, b] = pad[axis];
  return Math.floor((size + a + b - eff) / s) + 1;
}

/**
 * Checks the graph's wiring (unique names, inputs defined before use, channel
 * counts agreeing) and returns every node's output shape for the spec's input
 * size. Throws an Error naming the node when something does not fit, e.g. an
 * input too small for the network.
 */
export function inferShapes(spec: GraphSpec, input: { height: number; width: number } = spec.input): Map<string, NodeShape> {
  const shapes = new Map<string, NodeShape>();
  const get = (node: string, ref: string): NodeShape => {
    const s = shapes.get(ref);
    if (!s) throw new Error(`Node "${node}" reads "${ref}", which is not defined before it.`);
    return s;
  };
  const map = (node: string, ref: string, channels: number): NodeShape => {
    const s = get(node, ref);
    if (s.length !== 3) throw new Error(`Node "${node}" needs a feature map, "${ref}" is a vector.`);
    if (s[2] !== channels) throw new Error(`Node "${node}" expects ${channels} channels, "${ref}" has ${s[2]}.`);
    return s;
  };
  if (spec.nodes[0]?.op !== 'input') throw new Error('The first node must be the input.');
  for (const n of spec.nodes) {
    if (shapes.has(n.name)) throw new Error(`Node name "${n.name}" is used twice.`);
    let out: NodeShape;
    switch (n.op) {
      case 'input':
        out = [input.height, input.width, spec.input.channels];
        break;
      case 'conv2d': {
        const [h, w] = map(n.name, n.input, n.inChannels);
        out = [
          convOut(h, n.kernelSize[0], n.strides[0], n.dilation[0], n.padding, 0),
          convOut(w, n.kernelSize[1], n.strides[1], n.dilation[1], n.padding, 1),
          n.filters,
        ];
        break;
      }
      case 'batchNorm':
        out = [...map(n.name, n.input, n.channels)];
        break;
      case 'relu':
      case 'patchShuffle':
        out = [...get(n.name, n.input)];
        break;
      case 'add': {
        const a = get(n.name, n.inputs[0]);
        const b = get(n.name, n.inputs[1]);
        if (a.join() !== b.join()) throw new Error(`Node "${n.name}" adds shapes [${a.join(',')}] and [${b.join(',')}].`);
        out = [...a];
        break;
      }
      case 'shortcutA': {
        const [h, w] = map(n.name, n.input, n.inChannels);
        out = [Math.ceil(h / n.stride), Math.ceil(w / n.stride), n.inChannels + n.padBefore + n.padAfter];
        break;
      }
      case 'maxPool': {
        const s = get(n.name, n.input);
        out = [
          convOut(s[0], n.poolSize[0], n.strides[0], 1, n.padding, 0),
          convOut(s[1], n.poolSize[1], n.strides[1], 1, n.padding, 1),
          s[2],
        ];
        break;
      }
      case 'globalAvgPool': {
        const s = get(n.name, n.input);
        if (s.length !== 3) throw new Error(`Node "${n.name}" needs a feature map.`);
        out = [s[2]];
        break;
      }
      case 'dense': {
        const s = get(n.name, n.input);
        if (s.length !== 1 || s[0] !== n.inFeatures) throw new Error(`Node "${n.name}" expects ${n.inFeatures} features, "${n.input}" gives [${s.join(',')}].`);
        out = [n.units];
        break;
      }
      case 'channelScatter': {
        const s = get(n.name, n.input);
        if (s.length !== 3 || s[2] !== n.indices.length) throw new Error(`Node "${n.name}" scatters ${n.indices.length} channels, "${n.input}" has [${s.join(',')}].`);
        if (n.indices.some((i) => i >= n.channels) || new Set(n.indices).size !== n.indices.length) {
          throw new Error(`Node "${n.name}" has scatter indices outside [0, ${n.channels}) or repeated.`);
        }
        out = [s[0], s[1], n.channels];
        break;
      }
    }
    if (out.some((d) => !(d >= 1))) {
      throw new Error(`Node "${n.name}" (${n.op}) has an empty output for a ${input.height}x${input.width} input: the input is too small for this network.`);
    }
    shapes.set(n.name, out);
  }
  for (const [key, ref] of Object.entries(spec.outputs)) {
    if (ref !== undefined && !shapes.has(ref)) throw new Error(`Output "${key}" names "${ref}", which is not a node.`);
  }
  return shapes;
}

/** Parses untrusted JSON into a spec and checks its wiring; throws an Error with the path of the problem. */
export function parseGraphSpec(value: unknown): GraphSpec {
  const parsed = graphSpecSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new Error(`Invalid graph spec${where ? ` at "${where}"` : ''}: ${issue?.message ?? 'unknown problem'}.`);
  }
  inferShapes(parsed.data);
  return parsed.data;
}

/** Nodes that read `name` (the graph is small; a linear scan keeps the spec the only state). */
export function consumersOf(spec: GraphSpec, nodeName: string): GraphNode[] {
  return spec.nodes.filter((n) => ('input' in n && n.input === nodeName) || (n.op === 'add' && n.inputs.includes(nodeName)));
}

export function findNode(spec: GraphSpec, nodeName: string): GraphNode {
  const n = spec.nodes.find((m) => m.name === nodeName);
  if (!n) throw new Error(`No node named "${nodeName}".`);
  return n;
}

export function convNodes(spec: GraphSpec): NodeOf<'conv2d'>[] {
  return spec.nodes.filter((n): n is NodeOf<'conv2d'> => n.op === 'conv2d');
}
