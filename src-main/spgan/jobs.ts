import { jobKinds } from '../common/contract/kinds.ts';
import path from 'node:path';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { spganConfigSchema, spganTranslateSchema } from '../common/contract/spgan.ts';
import type { SpganConfig, SpganTranslateParams } from '../common/contract/spgan.ts';
import { ApiError } from '../common/contract/errors.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { datasetFacts, requireImageSize, requireReidLabels, trainingSplit } from '../datasets/checks.ts';
import type { SpganTrainResult, EpochRecord } from './train-runner.ts';
import type { TranslationOutcome } from './translation-store.ts';
import { commitTranslation, findRunCheckpoint } from './translation-store.ts';

/**
 * Job kinds of this domain. Spec files import no TF.js: runners load lazily in
 * the job process (the type imports above vanish at run time).
 */

export const spganTrainJob = defineJob<SpganConfig, SpganTrainResult>({
  kind: jobKinds.spganTrain,
  params: spganConfigSchema,
  title: (p) => `SPGAN ${p.imageSize[0]}x${p.imageSize[1]}: dataset ${p.sourceDatasetId} -> style of dataset ${p.targetDatasetId}`,
  resource: 'compute',
  resumable: true,
  preflight(p, ws) {
    if (p.sourceDatasetId === p.targetDatasetId) throw new ApiError('invalid_request', 'targetDatasetId: source and target are the same dataset.', 'targetDatasetId');
    const source = datasetFacts(ws.db, p.sourceDatasetId, 'sourceDatasetId');
    requireReidLabels(source, trainingSplit(source), 'sourceDatasetId', true);
    datasetFacts(ws.db, p.targetDatasetId, 'targetDatasetId');
    requireImageSize(p.imageSize, 4, 'imageSize');
    // Each PatchGAN stage halves; two 4x4 stride-1 convs then take 2 more pixels off.
    const minSide = Math.min(...p.imageSize) / 2 ** p.discriminatorLayers;
    if (minSide < 3) {
      throw new ApiError('invalid_request', `discriminatorLayers: ${p.discriminatorLayers} stride-2 stages leave no patches on ${p.imageSize.join('x')} images; use ${Math.max(1, p.discriminatorLayers - 1)} or larger images.`, 'discriminatorLayers');
    }
  },
  load: () => import('./train-runner.ts'),
  onRecord(ctx, type, payload) {
    if (type !== 'epoch') return null;
    const r = payload as EpochRecord;
    insertArtifact(ctx.ws, { kind: 'checkpoint', absPath: `${r.checkpointBase}.bin`, jobId: ctx.jobId, meta: { epoch: r.epoch, spgan: true, header: ctx.ws.relative(`${r.checkpointBase}.json`) } });
    for (const s of r.samples) {
      insertArtifact(ctx.ws, { kind: 'spgan-sample', absPath: path.join(ctx.jobDir, s.file), jobId: ctx.jobId, meta: { epoch: r.epoch, direction: s.direction, sampleId: s.sampleId, personId: s.personId, camera: s.camera } });
    }
    return null;
  },
});

export const spganTranslateJob = defineJob<SpganTranslateParams, TranslationOutcome>({
  kind: jobKinds.spganTranslate,
  params: spganTranslateSchema,
  title: (p) => `SPGAN translate dataset ${p.datasetId} with run ${p.runJobId}`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    findRunCheckpoint(ws.db, p.runJobId, p.epoch, 'runJobId');
    const facts = datasetFacts(ws.db, p.datasetId, 'datasetId');
    requireReidLabels(facts, null, 'datasetId', true);
    if (p.splits && !p.splits.some((s) => facts.splits.has(s))) {
      throw new ApiError('invalid_request', `splits: dataset ${p.datasetId} has none of ${p.splits.join(', ')}.`, 'splits');
    }
  },
  load: () => import('./translate-runner.ts'),
  // One transaction with the job's success: the dataset, its samples and lineage appear together or not at all.
  onComplete(ctx, result) {
    commitTranslation(ctx.ws, ctx.jobId, result);
  },
});

export const spganJobSpecs: AnyJobSpec[] = [spganTrainJob, spganTranslateJob];
