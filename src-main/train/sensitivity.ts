/**
 * The `prune.sensitivity` job spec (no TF.js: the runner loads lazily). The
 * kind belongs to the prune vocabulary (contract: common/contract/prune.ts);
 * it lives in train/ because it evaluates with the training data path
 * (`data.ts`, `evaluate.ts`), which prune/ sits below.
 */
import { jobKinds } from '../common/contract/kinds.ts';
import { pruneSensitivityConfigSchema, type PruneSensitivityConfig, type SensitivityResult } from '../common/contract/prune.ts';
import { ApiError } from '../common/contract/errors.ts';
import { defineJob } from '../core/jobs/spec.ts';
import type { Workspace } from '../core/workspace.ts';
import { getModelRow } from '../models/model-rows.ts';
import { parseGraphSpec } from '../nn/graph.ts';
import { bnAfter } from '../prune/selection.ts';
import { sensitivityGroups } from './sensitivity-groups.ts';

export function preflightSensitivity(c: PruneSensitivityConfig, ws: Workspace): void {
  const row = getModelRow(ws.db, c.modelId, 'modelId');
  const spec = parseGraphSpec(JSON.parse(row.spec));
  const ds = ws.db.prepare('SELECT id FROM datasets WHERE id = ?').get(c.dataset.id);
  if (!ds) throw new ApiError('not_found', `dataset.id: dataset ${c.dataset.id} does not exist.`, 'dataset.id');
  const test = ws.db.prepare('SELECT 1 FROM samples WHERE dataset_id = ? AND split = ? AND label IS NOT NULL LIMIT 1').get(c.dataset.id, c.dataset.testSplit);
  if (!test) throw new ApiError('invalid_request', `dataset.testSplit: dataset ${c.dataset.id} has no labelled samples in split "${c.dataset.testSplit}".`, 'dataset.testSplit');
  const groups = sensitivityGroups(spec, c.granularity);
  if (groups.length === 0) throw new ApiError('invalid_request', `modelId: model ${c.modelId} has no prunable conv.`, 'modelId');
  if (c.criterion === 'bn-scale') {
    const without = groups.flatMap((g) => g.convs).find((conv) => !bnAfter(spec, conv));
    if (without) throw new ApiError('invalid_request', `criterion: bn-scale needs a BatchNorm right after every pruned conv; "${without}" has none.`, 'criterion');
  }
}

export const pruneSensitivityJob = defineJob<PruneSensitivityConfig, SensitivityResult>({
  kind: jobKinds.pruneSensitivity,
  params: pruneSensitivityConfigSchema,
  title: (c, ws) => {
    const model = ws?.db.prepare('SELECT name FROM models WHERE id = ?').get(c.modelId) as { name: string } | undefined;
    return `Sensitivity of ${model?.name ?? `model ${c.modelId}`} per ${c.granularity} (${c.criterion})`;
  },
  resource: 'compute',
  resumable: false,
  preflight: preflightSensitivity,
  load: () => import('./sensitivity-runner.ts'),
});
