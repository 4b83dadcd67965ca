/** FLOPs / params report of a stored model against its unpruned architecture (no TF.js). */
import type { FlopsReport } from '../common/contract/models.ts';
import { parseGraphSpec, type GraphSpec } from '../nn/graph.ts';
import { countCost, paperStyleReduction } from '../prune/flops.ts';
import { buildSpec } from './specs.ts';
import type { ModelRow } from './model-rows.ts';

/** The registry architecture a (possibly compact) spec came from, at the same input size and classes. */
export function baselineSpecOf(spec: GraphSpec): GraphSpec {
  return buildSpec(spec.arch, {
    ...(spec.options as Record<string, unknown>),
    inputSize: [spec.input.height, spec.input.width],
    channels: spec.input.channels,
    numClasses: spec.numClasses,
  });
}

export function flopsReport(row: ModelRow): FlopsReport {
  const spec = parseGraphSpec(JSON.parse(row.spec));
  const cost = countCost(spec);
  const base = countCost(baselineSpecOf(spec));
  const paper = row.rate !== null && row.rate > 0 ? paperStyleReduction(baselineSpecOf(spec), row.rate) : null;
  return {
    modelId: row.id,
    arch: row.arch,
    macs: cost.macs,
    macs3x3: cost.macs3x3,
    params: cost.params,
    layers: cost.layers,
    baseline: { macs: base.macs, macs3x3: base.macs3x3, params: base.params },
    reduction: base.macs > 0 ? 1 - cost.macs / base.macs : 0,
    reduction3x3: base.macs3x3 > 0 ? 1 - cost.macs3x3 / base.macs3x3 : 0,
    paperStyle: paper ? { rate: row.rate!, baselineMacs3x3: paper.baseline, reduction: paper.reduction } : null,
  };
}
