/**
 * `models.graph`: a stored model as nodes and edges for the graph view, from
 * its spec alone (no TF.js). Shapes come from `inferShapes`, MACs from the
 * FLOPs counter (so the view and `models.flops` agree), a conv's original
 * width from the registry architecture the spec came from, and per-filter
 * norms (zeroed filters of soft-pruned models) from the weights file when it
 * is small enough to read on the writer's thread.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ConvWidth, GraphViewEdge, GraphViewNode, ModelGraph } from '../common/contract/models.ts';
import { convNodes, expectedWeights, inferShapes, type GraphNode, type GraphSpec, type Padding } from '../nn/graph.ts';
import { countCost } from '../prune/flops.ts';
import { baselineSpecOf } from './cost.ts';

/** Weights files up to this size are read for filter norms (ResNet-56: 3.5 MB; ResNet-50: ~100 MB is left out). */
export const FILTER_NORM_MAX_BYTES = 32 * 1024 * 1024;

function roleOf(n: GraphNode): string {
  switch (n.op) {
    case 'conv2d':
      return n.role;
    case 'input':
      return 'input';
    case 'shortcutA':
      return 'shortcut';
    case 'add':
      return 'residual-add';
    case 'batchNorm':
      return 'norm';
    case 'relu':
      return 'activation';
    case 'maxPool':
    case 'globalAvgPool':
      return 'pool';
    case 'dense':
      return 'classifier';
    case 'channelScatter':
      return 'scatter';
    case 'patchShuffle':
      return 'augment';
  }
}

function inputsOf(n: GraphNode): string[] {
  if (n.op === 'add') return [...n.inputs];
  if ('input' in n) return [n.input];
  return [];
}

const pad = (p: Padding): string => (typeof p === 'string' ? p : `[${p[0].join(',')}],[${p[1].join(',')}]`);

function attrsOf(n: GraphNode): Record<string, string | number | boolean> {
  switch (n.op) {
    case 'conv2d':
      return {
        kernel: n.kernelSize.join('x'),
        strides: n.strides.join('x'),
        padding: pad(n.padding),
        ...(n.dilation[0] !== 1 || n.dilation[1] !== 1 ? { dilation: n.dilation.join('x') } : {}),
        inChannels: n.inChannels,
        filters: n.filters,
        bias: n.bias,
        ...(n.constInput ? { constInput: true } : {}),
      };
    case 'batchNorm':
      return { channels: n.channels, epsilon: n.epsilon, ...(n.frozen ? { frozen: true } : {}) };
    case 'shortcutA':
      return { stride: n.stride, inChannels: n.inChannels, padBefore: n.padBefore, padAfter: n.padAfter };
    case 'maxPool':
      return { pool: n.poolSize.join('x'), strides: n.strides.join('x'), padding: pad(n.padding) };
    case 'dense':
      return { inFeatures: n.inFeatures, units: n.units, bias: n.bias };
    case 'patchShuffle':
      return { patch: n.patch, probability: n.probability };
    case 'channelScatter':
      return { channels: n.channels, kept: n.indices.length };
    default:
      return {};
  }
}

/**
 * L2 norm of every conv filter (kernel [kh,kw,in,out] row-major: filter f is
 * every out-th value from f), from model.json's manifest offsets. null when
 * the weights file is missing, unreadable or larger than `maxBytes`.
 */
export function filterNorms(dir: string, spec: GraphSpec, maxBytes = FILTER_NORM_MAX_BYTES): Map<string, number[]> | null {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weights: { name: string; offset: number }[]; weightsFile: string };
    const file = path.join(dir, manifest.weightsFile);
    if (statSync(file).size > maxBytes) return null;
    const bin = readFileSync(file);
    const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    const offsets = new Map(manifest.weights.map((w) => [w.name, w.offset]));
    const out = new Map<string, number[]>();
    for (const conv of convNodes(spec)) {
      const offset = offsets.get(`${conv.name}/kernel`);
      const rows = conv.kernelSize[0] * conv.kernelSize[1] * conv.inChannels;
      if (offset === undefined || offset + rows * conv.filters * 4 > bin.byteLength) continue;
      const sums = new Float64Array(conv.filters);
      for (let r = 0; r < rows; r++) {
        for (let f = 0; f < conv.filters; f++) {
          const v = view.getFloat32(offset + (r * conv.filters + f) * 4, true);
          sums[f]! += v * v;
        }
      }
      out.set(conv.name, Array.from(sums, (s) => Math.sqrt(s)));
    }
    return out;
  } catch {
    return null;
  }
}

/** The graph of a spec; `norms` (from `filterNorms`) adds filter norms and zeroed-filter counts. */
export function graphOfSpec(spec: GraphSpec, norms: Map<string, number[]> | null = null): Omit<ModelGraph, 'modelId' | 'name' | 'arch' | 'method'> {
  const shapes = inferShapes(spec);
  const cost = countCost(spec);
  const macsOf = new Map(cost.layers.map((l) => [l.name, l.macs]));
  const paramsOf = new Map<string, number>();
  for (const w of expectedWeights(spec)) {
    if (!w.trainable) continue;
    const node = w.name.slice(0, w.name.lastIndexOf('/'));
    paramsOf.set(node, (paramsOf.get(node) ?? 0) + w.shape.reduce((a, b) => a * b, 1));
  }
  let original: Map<string, number>;
  try {
    original = new Map(convNodes(baselineSpecOf(spec)).map((c) => [c.name, c.filters]));
  } catch {
    // An architecture the registry no longer builds: widths are shown without the original.
    original = new Map();
  }
  // The shortcut path: shortcutA, downsample convs, and what follows them up to the addition.
  const shortcut = new Set<string>();
  for (const n of spec.nodes) {
    if (n.op === 'shortcutA' || (n.op === 'conv2d' && n.role === 'downsample')) shortcut.add(n.name);
    else if (n.op !== 'add' && inputsOf(n).some((i) => shortcut.has(i))) shortcut.add(n.name);
  }
  const nodes: GraphViewNode[] = spec.nodes.map((n) => {
    const inputs = inputsOf(n);
    let width: ConvWidth | null = null;
    let fn: number[] | null = null;
    if (n.op === 'conv2d') {
      fn = norms?.get(n.name) ?? null;
      const zeroed = fn ? fn.filter((v) => v === 0).length : null;
      const orig = original.get(n.name) ?? n.filters;
      width = { kept: n.filters, original: orig, zeroed, pruned: n.filters < orig || (zeroed ?? 0) > 0 };
    }
    const slash = n.name.indexOf('/');
    return {
      name: n.name,
      op: n.op,
      role: roleOf(n),
      stage: slash > 0 ? n.name.slice(0, slash) : null,
      inputs,
      inShapes: inputs.map((i) => [...shapes.get(i)!]),
      outShape: [...shapes.get(n.name)!],
      shortcut: shortcut.has(n.name),
      params: paramsOf.get(n.name) ?? 0,
      macs: macsOf.get(n.name) ?? 0,
      attrs: attrsOf(n),
      width,
      filterNorms: fn,
    };
  });
  const edges: GraphViewEdge[] = [];
  for (const n of spec.nodes) {
    inputsOf(n).forEach((from, i) => {
      const residual = shortcut.has(n.name) || (n.op === 'add' && i === 1);
      edges.push({ from, to: n.name, kind: residual ? 'residual' : 'data' });
    });
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.outputs)) if (v !== undefined) outputs[k] = v;
  return {
    input: { ...spec.input },
    nodes,
    edges,
    outputs,
    params: nodes.reduce((a, n) => a + n.params, 0),
    macs: nodes.reduce((a, n) => a + n.macs, 0),
    prunedConvs: nodes.filter((n) => n.width?.pruned).length,
    weightsRead: norms !== null,
  };
}
