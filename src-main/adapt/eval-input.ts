/**
 * What an `adapt.eval` job evaluates, resolved from its params: the model (an
 * adaptation run's or any workspace classifier), the two datasets and splits.
 * The writer runs it as the preflight, so bad input is refused before the job
 * is queued, naming the field; the job process runs it again for the paths.
 * No TF.js here.
 */
import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import type { AdaptEvalParams, AdaptMethod, AdaptTrainResult } from '../common/contract/adapt.ts';
import { datasetFacts } from '../datasets/checks.ts';
import { jobResult } from '../core/jobs/job-store.ts';
import { finishedRun } from './attention-runs.ts';

export interface AdaptEvalInput {
  modelId: number | null;
  modelName: string;
  arch: string;
  /** The model folder, relative to the workspace. */
  modelDir: string;
  method: AdaptMethod | null;
  numClasses: number;
  sourceDatasetId: number;
  targetDatasetId: number;
}

const bad = (field: string, message: string): ApiError => new ApiError('invalid_request', `${field}: ${message}`, field);

function labeledCount(db: Database.Database, datasetId: number, split: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split = ? AND label IS NOT NULL AND label >= 0').get(datasetId, split) as { n: number }).n;
}

export function resolveEvalInput(db: Database.Database, p: AdaptEvalParams): AdaptEvalInput {
  let model: Omit<AdaptEvalInput, 'sourceDatasetId' | 'targetDatasetId'>;
  let defaults: { source?: number; target?: number } = {};
  if (p.jobId !== undefined) {
    const run = finishedRun(db, p.jobId);
    const r = run ? jobResult<AdaptTrainResult>(db, p.jobId) : null;
    if (!run || !r) throw bad('jobId', `job ${p.jobId} is not a finished adaptation run (adapt.train).`);
    const row = r.modelId !== null ? (db.prepare('SELECT spec FROM models WHERE id = ?').get(r.modelId) as { spec: string } | undefined) : undefined;
    const numClasses = row ? (JSON.parse(row.spec) as { numClasses: number }).numClasses : (db.prepare('SELECT COUNT(*) AS n FROM classes WHERE dataset_id = ?').get(run.sourceDatasetId) as { n: number }).n;
    model = { modelId: r.modelId, modelName: r.name, arch: r.arch, modelDir: r.modelDir, method: run.method, numClasses };
    defaults = { source: run.sourceDatasetId, target: run.targetDatasetId };
  } else {
    const row = db.prepare('SELECT id, name, arch, dir, spec, method FROM models WHERE id = ?').get(p.modelId) as { id: number; name: string; arch: string; dir: string; spec: string; method: string | null } | undefined;
    if (!row) throw new ApiError('not_found', `modelId: model ${p.modelId} does not exist.`, 'modelId');
    const spec = JSON.parse(row.spec) as { numClasses: number; outputs: { features?: string } };
    if (!spec.outputs.features) throw bad('modelId', `model ${row.id} "${row.name}" (${row.arch}) names no pooled features to project.`);
    const method = row.method?.startsWith('adapt-') ? (row.method.slice('adapt-'.length) as AdaptMethod) : null;
    model = { modelId: row.id, modelName: row.name, arch: row.arch, modelDir: row.dir, method, numClasses: spec.numClasses };
  }
  const sourceDatasetId = p.sourceDatasetId ?? defaults.source;
  const targetDatasetId = p.targetDatasetId ?? defaults.target;
  if (sourceDatasetId === undefined) throw bad('sourceDatasetId', 'a workspace classifier needs the source dataset named.');
  if (targetDatasetId === undefined) throw bad('targetDatasetId', 'a workspace classifier needs the target dataset named.');
  const domains = [
    { field: 'sourceDatasetId', splitField: 'sourceSplit', id: sourceDatasetId, split: p.sourceSplit },
    { field: 'targetDatasetId', splitField: 'targetSplit', id: targetDatasetId, split: p.targetSplit },
  ];
  for (const d of domains) {
    const facts = datasetFacts(db, d.id, d.field);
    const classes = (db.prepare('SELECT COUNT(*) AS n FROM classes WHERE dataset_id = ?').get(d.id) as { n: number }).n;
    if (classes !== model.numClasses) throw bad(d.field, `dataset ${d.id} "${facts.name}" has ${classes} classes, the model "${model.modelName}" ${model.numClasses}.`);
    if (labeledCount(db, d.id, d.split) === 0) {
      const has = [...facts.splits.keys()].filter((s) => s !== '').join(', ') || 'none';
      throw bad(d.splitField, `dataset ${d.id} "${facts.name}" has no labeled image in split '${d.split}' (its splits: ${has}).`);
    }
  }
  return { ...model, sourceDatasetId, targetDatasetId };
}
