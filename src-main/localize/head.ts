/**
 * The localization head on a registry backbone, as a graph spec (no TF.js):
 * the backbone's global pooling and classifier are replaced by a 1x1 conv
 * giving one map per class (`cam/conv`, [B,h,w,K]) and their global average
 * (`cam/pool`, the logits), which is CAM. SPG adds three side branches (3x3
 * conv + ReLU, 1x1 conv to one logit map) on feature maps at three depths:
 * - `deep`: the middle block of the last stage (stage 1's masks supervise it);
 * - `shallow`: the end of the stage before it (stage 2's masks);
 * - `top`: the last feature map, the class maps' input (stage 3's masks).
 * Because the head is plain graph nodes, the model saves, loads, evaluates
 * (folded) and exports like any registry model.
 */
import type { GraphSpec, GraphNode } from '../nn/graph.ts';
import { inferShapes } from '../nn/graph.ts';

export const SPG_BRANCHES = ['deep', 'shallow', 'top'] as const;
export type SpgBranch = (typeof SPG_BRANCHES)[number];

export const CAM_MAPS = 'cam/conv';
export const CAM_LOGITS = 'cam/pool';

export interface LocalizationLayout {
  /** Node whose output is the class maps [B,h,w,K]. */
  classMaps: string;
  /** The feature map each branch reads, and the branch's output node ([B,h,w,1] logits); empty for CAM. */
  branches: Partial<Record<SpgBranch, { input: string; output: string }>>;
}

/** The last node of block `b` of stage `s` (its output: the ReLU after the add, or the add). */
function blockOutput(spec: GraphSpec, s: number, b: number): string {
  const prefix = `stage${s}/block${b}/`;
  const last = [...spec.nodes].reverse().find((n) => n.name.startsWith(prefix));
  if (!last) throw new Error(`Model ${spec.arch} has no block ${prefix}`);
  return last.name;
}

/** Stages and blocks per stage, from the registry's node names. */
function blockCounts(spec: GraphSpec): number[] {
  const counts: number[] = [];
  for (const n of spec.nodes) {
    const m = /^stage(\d+)\/block(\d+)\//.exec(n.name);
    if (!m) continue;
    const s = Number(m[1]) - 1;
    counts[s] = Math.max(counts[s] ?? 0, Number(m[2]));
  }
  return counts;
}

/** Where the SPG branches attach on a registry ResNet. */
export function branchInputs(spec: GraphSpec, topInput: string): Record<SpgBranch, string> {
  const counts = blockCounts(spec);
  const last = counts.length;
  if (last < 2) throw new Error(`Model ${spec.arch} has ${last} stage(s); SPG's branches need at least 2.`);
  return {
    deep: blockOutput(spec, last, Math.max(1, Math.ceil(counts[last - 1]! / 2))),
    shallow: blockOutput(spec, last - 1, counts[last - 2]!),
    top: topInput,
  };
}

/**
 * Turns a registry classifier spec into a localization spec. `branches`:
 * which SPG branches to add (none = CAM), each with `branchChannels` hidden channels.
 */
export function localizationSpec(backbone: GraphSpec, branches: readonly SpgBranch[], branchChannels: number): { spec: GraphSpec; layout: LocalizationLayout } {
  const pool = backbone.nodes.find((n) => n.name === backbone.outputs.logits);
  const poolNode = pool && pool.op === 'dense' ? backbone.nodes.find((n) => n.name === pool.input) : undefined;
  if (!pool || pool.op !== 'dense' || !poolNode || poolNode.op !== 'globalAvgPool') {
    throw new Error(`Model ${backbone.arch} does not end in global pooling + a dense classifier; it cannot take a CAM head.`);
  }
  const shapes = inferShapes(backbone);
  const channelsOf = (name: string): number => {
    const s = shapes.get(name);
    if (!s) throw new Error(`No shape for node ${name}.`);
    return s[s.length - 1]!;
  };
  const featureMap = poolNode.input;
  const nodes: GraphNode[] = backbone.nodes.filter((n) => n !== pool && n !== poolNode);
  nodes.push({ op: 'conv2d', name: CAM_MAPS, input: featureMap, kernelSize: [1, 1], inChannels: channelsOf(featureMap), filters: backbone.numClasses, strides: [1, 1], padding: 'same', dilation: [1, 1], bias: true, role: 'other' });
  nodes.push({ op: 'globalAvgPool', name: CAM_LOGITS, input: CAM_MAPS });
  const layout: LocalizationLayout = { classMaps: CAM_MAPS, branches: {} };
  if (branches.length > 0) {
    const inputs = branchInputs(backbone, featureMap);
    for (const b of branches) {
      const input = inputs[b];
      nodes.push({ op: 'conv2d', name: `spg/${b}/conv1`, input, kernelSize: [3, 3], inChannels: channelsOf(input), filters: branchChannels, strides: [1, 1], padding: 'same', dilation: [1, 1], bias: true, role: 'other' });
      nodes.push({ op: 'relu', name: `spg/${b}/relu1`, input: `spg/${b}/conv1` });
      nodes.push({ op: 'conv2d', name: `spg/${b}/conv2`, input: `spg/${b}/relu1`, kernelSize: [1, 1], inChannels: branchChannels, filters: 1, strides: [1, 1], padding: 'same', dilation: [1, 1], bias: true, role: 'other' });
      layout.branches[b] = { input, output: `spg/${b}/conv2` };
    }
  }
  // The class maps are an output too: exports (ONNX, TF.js) then carry them beside the logits.
  const spec: GraphSpec = { ...backbone, nodes, outputs: { logits: CAM_LOGITS, classMaps: CAM_MAPS } };
  inferShapes(spec);
  return { spec, layout };
}

/** The layout of a saved localization spec (branches found by their node names). */
export function layoutOf(spec: GraphSpec): LocalizationLayout {
  if (!spec.nodes.some((n) => n.name === CAM_MAPS)) throw new Error(`Model ${spec.arch} has no class-map node ${CAM_MAPS}; it is not a localization model.`);
  const layout: LocalizationLayout = { classMaps: CAM_MAPS, branches: {} };
  for (const b of SPG_BRANCHES) {
    const conv1 = spec.nodes.find((n) => n.name === `spg/${b}/conv1`);
    if (conv1 && conv1.op === 'conv2d') layout.branches[b] = { input: conv1.input, output: `spg/${b}/conv2` };
  }
  return layout;
}
