import { jobKinds } from '../common/contract/kinds.ts';
import type { Workspace } from '../core/workspace.ts';
import path from 'node:path';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { trainConfigSchema, type TrainConfig, type TrainResult } from '../common/contract/train.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { recordSavedModel } from '../models/model-rows.ts';
import { preflightTrain } from './preflight.ts';
import { pruneSensitivityJob } from './sensitivity.ts';

export const TRAIN_KIND = jobKinds.trainRun;

/** Payloads the runner sends through ctx.record. */
export interface CheckpointRecord {
  /** Absolute folder of the checkpoint. */
  dir: string;
  epoch: number;
}
export interface FilterRecord {
  /** Absolute path of the per-epoch JSON. */
  file: string;
  epoch: number;
  rate: number;
}

/** The final evaluation's per-sample predictions file (train/predictions.ts). */
export interface PredictionsRecord {
  /** Absolute path of the predictions JSON. */
  file: string;
  evaluatedOn: 'test' | 'validation';
  part: string;
  count: number;
  accuracy: number;
}

/** The name the user gave the run, else what it does. */
function title(c: TrainConfig, ws?: Workspace): string {
  if (c.name) return c.name;
  const what = c.model ? c.model.arch : `model ${c.parentModelId}`;
  const method = c.prune ? ` ${c.prune.method.toUpperCase()} ${Math.round(c.prune.rate * 100)}%` : c.parentModelId ? ' fine-tune' : '';
  const dataset = ws?.db.prepare('SELECT name FROM datasets WHERE id = ?').get(c.dataset.id) as { name: string } | undefined;
  return `Train ${what}${method} on ${dataset?.name ?? `dataset ${c.dataset.id}`}, ${c.epochs} ${c.epochs === 1 ? 'epoch' : 'epochs'}`;
}

export const trainJob = defineJob<TrainConfig, TrainResult>({
  kind: TRAIN_KIND,
  changes: ['models'],
  params: trainConfigSchema,
  title,
  resource: 'compute',
  resumable: true,
  preflight(params, ws) {
    preflightTrain(params, ws);
  },
  load: () => import('./train-runner.ts'),
  onRecord(ctx, type, payload) {
    if (type === 'checkpoint') {
      const p = payload as CheckpointRecord;
      for (const f of ['model.json', 'weights.bin', 'optimizer.bin']) {
        insertArtifact(ctx.ws, { kind: f === 'model.json' ? 'checkpoint' : 'checkpoint-data', absPath: path.join(p.dir, f), jobId: ctx.jobId, meta: { epoch: p.epoch } });
      }
      return null;
    }
    if (type === 'prune-filters') {
      const p = payload as FilterRecord;
      return insertArtifact(ctx.ws, { kind: 'prune-filters', absPath: p.file, jobId: ctx.jobId, meta: { epoch: p.epoch, rate: p.rate } });
    }
    if (type === 'predictions') {
      const { file, ...meta } = payload as PredictionsRecord;
      return insertArtifact(ctx.ws, { kind: 'predictions', absPath: file, jobId: ctx.jobId, meta });
    }
    throw new Error(`train job: unknown record type ${type}`);
  },
  onComplete(ctx, result) {
    recordSavedModel(ctx.ws, ctx.jobId, {
      name: result.model.name,
      arch: result.model.arch,
      dir: result.model.dir,
      parentModelId: result.model.parentModelId,
      datasetId: result.model.datasetId,
      method: result.model.method,
      rate: result.model.rate,
      metrics: { ...result.metrics, epochs: result.epochs },
    });
  },
});

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const trainingJobSpecs: AnyJobSpec[] = [trainJob, pruneSensitivityJob];
