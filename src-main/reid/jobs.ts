import { partCounts } from '../datasets/splits.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import path from 'node:path';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { reidTrainSchema, reidEvalSchema } from '../common/contract/reid.ts';
import type { ReidTrainParams, ReidEvalParams } from '../common/contract/reid.ts';
import { ApiError } from '../common/contract/errors.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { recordSavedModel } from '../models/model-rows.ts';
import { datasetFacts, requireEvalSplit, requireMatchingSizes, requireReidLabels, trainingSplit } from '../datasets/checks.ts';
import type { ReidTrainResult } from './train-runner.ts';
import type { ReidEvalResult } from './eval-runner.ts';

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */

export const reidTrainJob = defineJob<ReidTrainParams, ReidTrainResult>({
  kind: jobKinds.reidTrain,
  changes: ['models'],
  params: reidTrainSchema,
  title: (p) => `IDE ${p.arch}${p.lmpParts > 0 ? `+LMP${p.lmpParts}` : ''} on dataset ${p.datasetId}`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    const facts = datasetFacts(ws.db, p.datasetId, 'datasetId');
    requireReidLabels(facts, trainingSplit(facts), 'datasetId', false);
    // The registry's ImageNet ResNets downsample 32x.
    if (Math.min(...p.imageSize) < 32) throw new ApiError('invalid_request', `imageSize: ${p.imageSize.join('x')} is below the 32 pixels an ImageNet ResNet needs on each side.`, 'imageSize');
    if (p.initFromModelId !== undefined) {
      const init = ws.db.prepare('SELECT arch FROM models WHERE id = ?').get(p.initFromModelId) as { arch: string } | undefined;
      if (!init) throw new ApiError('not_found', `initFromModelId: model ${p.initFromModelId} does not exist.`, 'initFromModelId');
      if (init.arch !== p.arch) throw new ApiError('invalid_request', `initFromModelId: model ${p.initFromModelId} is a ${init.arch}, the job trains a ${p.arch}.`, 'initFromModelId');
    }
    if (p.lmpParts > 0 && p.imageSize[0] / 32 < p.lmpParts) {
      throw new ApiError('invalid_request', `lmpParts: ${p.lmpParts} stripes need a last feature map at least ${p.lmpParts} rows high; ${p.imageSize[0]}px images give ${Math.ceil(p.imageSize[0] / 32)}.`, 'lmpParts');
    }
  },
  load: () => import('./train-runner.ts'),
  onComplete(ctx, r) {
    const metrics = {
      reid: true,
      lmpParts: r.lmpParts,
      featureDim: r.featureDim,
      numClasses: r.numClasses,
      imageSize: r.imageSize,
      freezeBatchNorm: r.freezeBatchNorm,
      trainLoss: r.finalLoss,
      trainAccuracy: r.finalAccuracy,
      personIds: r.personIds,
    };
    recordSavedModel(ctx.ws, ctx.jobId, {
      name: r.name,
      arch: r.arch,
      dir: r.modelDir,
      datasetId: r.datasetId,
      method: 'ide',
      metrics,
      files: [{ path: path.join(r.modelDir, 'weights.bin'), meta: { method: 'ide' } }],
    });
  },
});

export const reidEvalJob = defineJob<ReidEvalParams, ReidEvalResult>({
  kind: jobKinds.reidEval,
  changes: ['models'],
  params: reidEvalSchema,
  title: (p) => `Re-ID eval of model ${p.modelId} on dataset ${p.queryDatasetId}${p.galleryDatasetId === p.queryDatasetId ? '' : ` / ${p.galleryDatasetId}`}`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    const model = ws.db.prepare('SELECT method FROM models WHERE id = ?').get(p.modelId) as { method: string | null } | undefined;
    if (!model) throw new ApiError('not_found', `modelId: model ${p.modelId} does not exist.`, 'modelId');
    if (model.method !== 'ide') throw new ApiError('invalid_request', `modelId: model ${p.modelId} is not a re-ID (IDE) model (method ${model.method ?? 'none'}).`, 'modelId');
    if (p.split !== undefined) {
      for (const [id, part, field] of [[p.queryDatasetId, 'query', 'queryDatasetId'], [p.galleryDatasetId, 'gallery', 'galleryDatasetId']] as const) {
        if (partCounts(ws.db, id, [part], p.split, 'split').n === 0) {
          throw new ApiError('invalid_request', `${field}: the split "${p.split}" of dataset ${id} has no '${part}' part; make it with method reid.`, 'split');
        }
      }
    } else {
      requireEvalSplit(datasetFacts(ws.db, p.queryDatasetId, 'queryDatasetId'), 'query', 'queryDatasetId');
      requireEvalSplit(datasetFacts(ws.db, p.galleryDatasetId, 'galleryDatasetId'), 'gallery', 'galleryDatasetId');
    }
    requireMatchingSizes(ws.db, p.queryDatasetId, p.galleryDatasetId, 'galleryDatasetId');
  },
  load: () => import('./eval-runner.ts'),
  onComplete(ctx, r) {
    insertArtifact(ctx.ws, {
      kind: 'reid-eval',
      absPath: r.rankingFile,
      jobId: ctx.jobId,
      modelId: r.modelId,
      datasetId: r.queryDatasetId,
      meta: { queryDatasetId: r.queryDatasetId, galleryDatasetId: r.galleryDatasetId, rank1: r.metrics.rank1, mAP: r.metrics.mAP },
    });
    // The model's own record shows its latest evaluation.
    ctx.ws.db
      .prepare("UPDATE models SET metrics = json_set(metrics, '$.lastEval', json(?)) WHERE id = ?")
      .run(JSON.stringify({ evalJobId: ctx.jobId, queryDatasetId: r.queryDatasetId, rank1: r.metrics.rank1, rank5: r.metrics.rank5, rank10: r.metrics.rank10, rank20: r.metrics.rank20, mAP: r.metrics.mAP }), r.modelId);
  },
});

export const reidJobSpecs: AnyJobSpec[] = [reidTrainJob, reidEvalJob];
