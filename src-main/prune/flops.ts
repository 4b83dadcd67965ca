/**
 * Compute cost of a graph. Two accountings, both needed:
 * - exact: every multiply-accumulate of convs (shortcut convs included),
 *   the classifier, and hard pruning's constant-input convs, per layer;
 * - SFP paper style: only 3x3 conv MACs (C_out*H*W*9*C_in). For a rate it
 *   applies keep-rate r to the convs whose output is pruned and again to those
 *   whose input comes from a pruned conv: r for the stem and the first conv
 *   of a block, r^2 for the second (the reference's formula, see producingConv).
 */
import { findNode, inferShapes, type GraphSpec, type NodeOf } from '../nn/graph.ts';
import { expectedWeights } from '../nn/graph.ts';
import { selectLayers, type LayerSelection } from './selection.ts';
import type { LayerCostRow } from '../common/contract/models.ts';

/** One layer's cost: the row the contract's FlopsReport carries. */
export type LayerCost = LayerCostRow;

export interface CostReport {
  /** All MACs of convs and dense layers (per image). */
  macs: number;
  /** MACs of 3x3 convs only (the SFP paper's accounting). */
  macs3x3: number;
  /** Trainable parameters. */
  params: number;
  layers: LayerCost[];
}

export function countCost(spec: GraphSpec): CostReport {
  const shapes = inferShapes(spec);
  const layers: LayerCost[] = [];
  let macs3x3 = 0;
  for (const n of spec.nodes) {
    if (n.op === 'conv2d') {
      const [oh, ow] = shapes.get(n.name)!;
      const [kh, kw] = n.kernelSize;
      let macs = oh! * ow! * kh * kw * n.inChannels * n.filters;
      if (kh === 3 && kw === 3) macs3x3 += macs;
      // The constant-input conv runs on a one-channel image once per batch; counted per image to stay an upper bound.
      if (n.constInput) macs += oh! * ow! * kh * kw * n.filters;
      layers.push({ name: n.name, op: 'conv2d', role: n.role, kernel: [kh, kw, n.inChannels, n.filters], outShape: shapes.get(n.name)!, macs, params: kh * kw * n.inChannels * n.filters + (n.bias ? n.filters : 0) });
    } else if (n.op === 'dense') {
      layers.push({ name: n.name, op: 'dense', role: null, kernel: [n.inFeatures, n.units], outShape: [n.units], macs: n.inFeatures * n.units, params: n.inFeatures * n.units + (n.bias ? n.units : 0) });
    }
  }
  const params = expectedWeights(spec)
    .filter((w) => w.trainable)
    .reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
  return { macs: layers.reduce((a, l) => a + l.macs, 0), macs3x3, params, layers };
}

/**
 * The conv whose (BN, ReLU) output a conv reads. The reference's accounting
 * follows this path even where the tensor also feeds a residual addition:
 * the first block's conv reads the stem's pruned output, so it counts r^2
 * (that is what reproduces the paper's table: 15.2% at 10% for ResNet-20, not
 * 14.7%). A compact model keeps that tensor at full width for the addition,
 * so its exact count is a little higher; both figures are reported.
 */
function producingConv(spec: GraphSpec, conv: NodeOf<'conv2d'>): NodeOf<'conv2d'> | null {
  let ref = conv.input;
  for (;;) {
    const n = findNode(spec, ref);
    if (n.op === 'conv2d') return n;
    if (n.op === 'batchNorm' || n.op === 'relu' || n.op === 'patchShuffle') {
      ref = n.input;
      continue;
    }
    return null;
  }
}

/** Paper-style 3x3 MACs after pruning at `rate` (formula, not a compact model) and the reduction from the unpruned count. */
export function paperStyleReduction(spec: GraphSpec, rate: number, sel: LayerSelection = {}): { baseline: number; pruned: number; reduction: number } {
  const shapes = inferShapes(spec);
  const rates = selectLayers(spec, rate, sel);
  let baseline = 0;
  let pruned = 0;
  for (const n of spec.nodes) {
    if (n.op !== 'conv2d' || n.kernelSize[0] !== 3 || n.kernelSize[1] !== 3) continue;
    const [oh, ow] = shapes.get(n.name)!;
    const macs = oh! * ow! * 9 * n.inChannels * n.filters;
    const outKeep = 1 - (rates.get(n.name) ?? 0);
    const producer = producingConv(spec, n);
    const inKeep = producer ? 1 - (rates.get(producer.name) ?? 0) : 1;
    baseline += macs;
    pruned += macs * outKeep * inKeep;
  }
  return { baseline, pruned, reduction: baseline > 0 ? 1 - pruned / baseline : 0 };
}
