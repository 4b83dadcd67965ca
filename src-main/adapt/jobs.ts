import path from 'node:path';
import { jobKinds } from '../common/contract/kinds.ts';
import { insertArtifact } from '../core/artifacts.ts';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { ApiError } from '../common/contract/errors.ts';
import { adaptAttentionSchema, adaptGenerateSchema, adaptTrainSchema, type AdaptAttentionParams, type AdaptAttentionResult, type AdaptGenerateParams, type AdaptTrainParams, type AdaptTrainResult } from '../common/contract/adapt.ts';
import type { Workspace } from '../core/workspace.ts';
import { datasetFacts } from '../datasets/checks.ts';
import { commitGeneratedDataset } from '../datasets/generated-store.ts';
import { recordSavedModel } from '../models/model-rows.ts';
import type { AdaptGenerateResult } from './generate-runner.ts';
import { compareRunOf, finishedRun } from './attention-runs.ts';
import { domainsOf } from './domains.ts';
import { adaptEvalJob } from './eval-job.ts';

/** What the `adapt.train` runner sends through ctx.record after each epoch's checkpoint. */
interface CheckpointRecord {
  /** Absolute folder of the checkpoint. */
  dir: string;
  epoch: number;
}

function channelsOf(ws: Workspace, datasetId: number): number | null {
  const row = ws.db.prepare('SELECT MAX(channels) AS c FROM samples WHERE dataset_id = ?').get(datasetId) as { c: number | null };
  return row.c;
}

/** Labelled samples of a split, or (split null) of a domain. */
function labeledIn(ws: Workspace, datasetId: number, split: string | null, domain?: string): number {
  const where = split !== null ? 'split = ?' : 'domain = ?';
  return (ws.db.prepare(`SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND ${where} AND label IS NOT NULL AND label >= 0`).get(datasetId, split ?? domain) as { n: number }).n;
}

export const adaptGenerateJob = defineJob<AdaptGenerateParams, AdaptGenerateResult>({
  kind: jobKinds.adaptGenerate,
  params: adaptGenerateSchema,
  title: (p) => `Blend dataset ${p.sourceDatasetId} with patches of dataset ${p.patchDatasetId} (MNIST-M style)`,
  resource: 'io',
  resumable: false,
  preflight(p, ws) {
    const src = datasetFacts(ws.db, p.sourceDatasetId, 'sourceDatasetId');
    const patches = datasetFacts(ws.db, p.patchDatasetId, 'patchDatasetId');
    if (channelsOf(ws, p.sourceDatasetId) !== 1) throw new ApiError('invalid_request', `sourceDatasetId: dataset ${src.id} "${src.name}" is not grayscale; blending needs a 1-channel set such as Fashion-MNIST.`, 'sourceDatasetId');
    if (channelsOf(ws, p.patchDatasetId) === 1) throw new ApiError('invalid_request', `patchDatasetId: dataset ${patches.id} "${patches.name}" is grayscale; the patches must be colour (e.g. CIFAR-10).`, 'patchDatasetId');
  },
  load: () => import('./generate-runner.ts'),
  onComplete(ctx, r) {
    commitGeneratedDataset(ctx.ws, ctx.jobId, { ...r, parentDatasetId: r.sourceDatasetId, extra: { lineage: { kind: 'mnist-m-blend', jobId: ctx.jobId, sourceDatasetId: r.sourceDatasetId, patchDatasetId: r.patchDatasetId, params: r.params } } });
  },
});

export const adaptTrainJob = defineJob<AdaptTrainParams, AdaptTrainResult>({
  kind: jobKinds.adaptTrain,
  changes: ['models'],
  params: adaptTrainSchema,
  title: (p) => `${{ 'source-only': 'Source only', dann: 'DANN', daaa: 'DAAA' }[p.method]} ${p.arch}: dataset ${p.sourceDatasetId} → ${p.targetDatasetId}`,
  resource: 'compute',
  // Per-epoch checkpoints (checkpoint.ts): a resumed job continues after the last one to the same weights.
  resumable: true,
  preflight(p, ws) {
    const src = datasetFacts(ws.db, p.sourceDatasetId, 'sourceDatasetId');
    const tgt = datasetFacts(ws.db, p.targetDatasetId, 'targetDatasetId');
    if (p.sourceDatasetId === p.targetDatasetId && (p.sourceDomain === undefined || p.targetDomain === undefined || p.sourceDomain === p.targetDomain)) {
      throw new ApiError('invalid_request', 'targetDatasetId: the target domain must be another dataset than the source, or another domain of it (sourceDomain, targetDomain).', 'targetDatasetId');
    }
    for (const [field, facts, domain] of [['sourceDomain', src, p.sourceDomain], ['targetDomain', tgt, p.targetDomain]] as const) {
      if (domain === undefined) continue;
      const known = domainsOf(ws.db, facts.id);
      const d = known.find((k) => k.domain === domain);
      if (!d) throw new ApiError('invalid_request', `${field}: dataset ${facts.id} "${facts.name}" has no domain "${domain}" (${known.length ? `its domains: ${known.map((k) => k.domain).join(', ')}` : 'it was not imported as domain folders'}).`, field);
      if (d.sizes !== 1 && p.inputSize === undefined && field === 'sourceDomain') throw new ApiError('invalid_request', `inputSize: the images of domain "${domain}" differ in size; give [height, width] to resize both domains to.`, 'inputSize');
    }
    if (p.sourceDomain !== undefined) {
      if (labeledIn(ws, p.sourceDatasetId, null, p.sourceDomain) === 0) throw new ApiError('invalid_request', `sourceDomain: domain "${p.sourceDomain}" of dataset ${src.id} "${src.name}" has no labeled images.`, 'sourceDomain');
    } else if (labeledIn(ws, p.sourceDatasetId, 'train') === 0) throw new ApiError('invalid_request', `sourceDatasetId: dataset ${src.id} "${src.name}" has no labeled 'train' split.`, 'sourceDatasetId');
    const targetTrain = (ws.db.prepare("SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split = 'train'").get(p.targetDatasetId) as { n: number }).n;
    if (p.targetDomain === undefined && targetTrain === 0) throw new ApiError('invalid_request', `targetDatasetId: dataset ${tgt.id} "${tgt.name}" has no 'train' split to adapt on.`, 'targetDatasetId');
    if (p.method === 'daaa' && p.translatedDatasetId !== undefined) {
      const tr = datasetFacts(ws.db, p.translatedDatasetId, 'translatedDatasetId');
      const named = (ws.db.prepare("SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND json_extract(extra, '$.sourceSampleId') IN (SELECT id FROM samples WHERE dataset_id = ?)").get(p.translatedDatasetId, p.sourceDatasetId) as { n: number }).n;
      if (named === 0) throw new ApiError('invalid_request', `translatedDatasetId: no image of dataset ${tr.id} "${tr.name}" is a translation of a source image (translate the source with the SPGAN/CycleGAN job).`, 'translatedDatasetId');
    }
    const classes = (id: number): number => (ws.db.prepare('SELECT COUNT(*) AS n FROM classes WHERE dataset_id = ?').get(id) as { n: number }).n;
    if (classes(p.sourceDatasetId) !== classes(p.targetDatasetId)) {
      throw new ApiError('invalid_request', `targetDatasetId: dataset ${tgt.id} has ${classes(p.targetDatasetId)} classes, the source ${classes(p.sourceDatasetId)}; adaptation needs the same label set.`, 'targetDatasetId');
    }
  },
  load: () => import('./train-runner.ts'),
  onRecord(ctx, type, payload) {
    if (type !== 'checkpoint') throw new Error(`adapt.train job: unknown record type ${type}`);
    const c = payload as CheckpointRecord;
    for (const f of ['model.json', 'weights.bin', 'state.bin']) {
      insertArtifact(ctx.ws, { kind: f === 'model.json' ? 'checkpoint' : 'checkpoint-data', absPath: path.join(c.dir, f), jobId: ctx.jobId, meta: { epoch: c.epoch } });
    }
    return null;
  },
  onComplete(ctx, r) {
    r.modelId = recordSavedModel(ctx.ws, ctx.jobId, {
      name: r.name,
      arch: r.arch,
      dir: r.modelDir,
      datasetId: r.sourceDatasetId,
      method: `adapt-${r.method}`,
      metrics: { sourceAccuracy: r.sourceAccuracy, targetAccuracy: r.targetAccuracy, targetDatasetId: r.targetDatasetId },
    });
  },
});

export const adaptAttentionJob = defineJob<AdaptAttentionParams, AdaptAttentionResult>({
  kind: jobKinds.adaptAttention,
  params: adaptAttentionSchema,
  title: (p) => `Attention maps of adaptation run ${p.jobId}${p.compareJobId !== undefined ? ` beside run ${p.compareJobId}` : ''}`,
  resource: 'compute',
  // A few forward passes: a cancelled one is simply started again.
  resumable: false,
  preflight(p, ws) {
    const run = finishedRun(ws.db, p.jobId);
    if (!run) throw new ApiError('invalid_request', `jobId: job ${p.jobId} is not a finished adaptation run (adapt.train).`, 'jobId');
    if (p.compareJobId !== undefined) {
      const other = finishedRun(ws.db, p.compareJobId);
      if (!other || other.method !== 'source-only') throw new ApiError('invalid_request', `compareJobId: job ${p.compareJobId} is not a finished source-only adaptation run.`, 'compareJobId');
      if (other.arch !== run.arch) throw new ApiError('invalid_request', `compareJobId: job ${p.compareJobId} trained ${other.arch}, job ${p.jobId} ${run.arch}; the maps compare the same stages.`, 'compareJobId');
    } else if (compareRunOf(ws.db, p.jobId) === null) {
      throw new ApiError('invalid_request', `compareJobId: no finished source-only ${run.arch} run on datasets ${run.sourceDatasetId} → ${run.targetDatasetId} to compare job ${p.jobId} with; train one, or name one.`, 'compareJobId');
    }
    if (p.translatedDatasetId !== undefined) datasetFacts(ws.db, p.translatedDatasetId, 'translatedDatasetId');
  },
  load: () => import('./attention-runner.ts'),
});

export const adaptJobSpecs: AnyJobSpec[] = [adaptGenerateJob, adaptTrainJob, adaptAttentionJob, adaptEvalJob];
