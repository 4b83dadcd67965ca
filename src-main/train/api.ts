import { readFileSync, existsSync } from 'node:fs';
import type { trainCalls } from '../common/contract/train.ts';
import { trainConfigSchema, type CurvePoint, type RunPredictions, type FilterHistory, type RunCurves, type TrainConfig, type TrainingRunRow, type TrainResult } from '../common/contract/train.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { ApiError } from '../common/contract/errors.ts';
import { describeZodError } from '../core/jobs/job-manager.ts';
import type { Workspace } from '../core/workspace.ts';
import { jobMetrics, jobRow, jobRows, jobRowsById, metricSummary, resumeChain, runJobs, runRoots, type JobRow } from '../core/jobs/job-store.ts';
import { methodOf } from './method.ts';
import { configDiff } from '../common/config-diff.ts';
import { preflightTrain } from './preflight.ts';
import { TRAIN_KIND } from './jobs.ts';
import type { FilterRecordFile } from './filter-history.ts';
import { regrownFilters } from '../prune/regrowth.ts';
import { classMetrics, confusionMatrix, misclassified, type PredictionsFile } from './predictions.ts';

function trainJob(ws: Workspace, id: number): JobRow {
  const row = jobRow(ws.db, id);
  if (!row) throw new ApiError('not_found', `Job ${id} does not exist.`, 'jobId');
  if (row.kind !== TRAIN_KIND) throw new ApiError('invalid_request', `Job ${id} is a ${row.kind} job, not a training run.`, 'jobId');
  return row;
}

/** The jobs of the run `id` belongs to, oldest first, ending at its newest job (a run resumed is one run). */
function runChain(ws: Workspace, id: number): JobRow[] {
  const ids = runJobs(ws.db, id, TRAIN_KIND);
  return ids.length ? resumeChain(ws.db, Math.max(...ids)) : [];
}

/** Epoch of the newest checkpoint each job of a chain left (0: none). */
function checkpointEpochs(ws: Workspace, chain: readonly JobRow[]): Map<number, number> {
  const out = new Map<number, number>(chain.map((j) => [j.id, 0]));
  if (chain.length === 0) return out;
  const rows = ws.db
    .prepare(`SELECT job_id, meta FROM artifacts WHERE kind = 'checkpoint' AND job_id IN (${chain.map(() => '?').join(',')})`)
    .all(...chain.map((j) => j.id)) as { job_id: number; meta: string }[];
  for (const r of rows) out.set(r.job_id, Math.max(out.get(r.job_id) ?? 0, (JSON.parse(r.meta) as { epoch: number }).epoch));
  return out;
}

/**
 * Where each resumed job of a chain took over: the newest checkpoint of the
 * nearest earlier job that left one (as the runner looks for it), 0 when none.
 */
function resumePoints(ws: Workspace, chain: readonly JobRow[]): { jobId: number; epoch: number }[] {
  const saved = checkpointEpochs(ws, chain);
  const out: { jobId: number; epoch: number }[] = [];
  let from = 0;
  for (let i = 1; i < chain.length; i++) {
    const before = saved.get(chain[i - 1]!.id) ?? 0;
    if (before > 0) from = before;
    out.push({ jobId: chain[i]!.id, epoch: from });
  }
  return out;
}

function seconds(rows: readonly JobRow[]): number | null {
  const ran = rows.filter((r) => r.started_at);
  if (!ran.length) return null;
  return ran.reduce((sum, r) => sum + Math.max(0, ((r.finished_at ? Date.parse(r.finished_at) : Date.now()) - Date.parse(r.started_at!)) / 1000), 0);
}

function runRow(ws: Workspace, rootId: number, sweeps: Map<string, Map<number, string>>): TrainingRunRow | null {
  const ids = runJobs(ws.db, rootId, TRAIN_KIND);
  if (!ids.length) return null;
  const rows = jobRowsById(ws.db, ids);
  const first = rows[0]!;
  const latest = rows[rows.length - 1]!;
  const config = JSON.parse(first.params) as TrainConfig;
  const dataset = ws.db.prepare('SELECT name FROM datasets WHERE id = ?').get(config.dataset.id) as { name: string } | undefined;
  const parent = config.parentModelId ? (ws.db.prepare('SELECT name FROM models WHERE id = ?').get(config.parentModelId) as { name: string } | undefined) : undefined;
  const stats = metricSummary(ws.db, ids, ['val_accuracy', 'test_accuracy', 'loss']);
  const result = latest.status === 'succeeded' && latest.result ? (JSON.parse(latest.result) as TrainResult) : null;
  const best = stats.get('val_accuracy')?.max ?? stats.get('test_accuracy')?.max ?? null;
  return {
    jobId: latest.id,
    jobIds: rows.map((r) => r.id),
    name: runName(ws, first, sweeps),
    named: config.name !== undefined,
    sweepId: first.sweep_id,
    status: latest.status,
    datasetId: config.dataset.id,
    dataset: dataset?.name ?? `#${config.dataset.id}`,
    model: config.model?.arch ?? parent?.name ?? `model #${config.parentModelId}`,
    method: methodOf(config),
    pruneRate: config.prune?.rate ?? null,
    epochs: config.epochs,
    epochsDone: stats.get('loss')?.lastEpoch ?? 0,
    bestAccuracy: best,
    finalAccuracy: result ? result.metrics.accuracy : (stats.get('val_accuracy')?.last ?? null),
    seconds: seconds(rows),
    createdAt: first.created_at,
    tags: JSON.parse(first.tags) as string[],
    notes: first.notes,
  };
}

/**
 * Members of one sweep share their config but the swept field: a member's
 * name ends with the values that set it apart ("lr test (prune.rate=0.3)").
 * `cache` keeps each sweep's answer for the rest of a request.
 */
function sweepSuffix(ws: Workspace, first: JobRow, cache: Map<string, Map<number, string>>): string | null {
  if (!first.sweep_id) return null;
  let names = cache.get(first.sweep_id);
  if (!names) {
    names = new Map();
    const members = jobRows(ws.db, { sweepId: first.sweep_id, kind: TRAIN_KIND, limit: 1000 });
    const differing = configDiff(members.map((m) => JSON.parse(m.params) as unknown)).filter((d) => d.path !== 'name');
    if (members.length > 1 && differing.length) {
      members.forEach((m, i) => names!.set(m.id, differing.map((d) => `${d.path}=${JSON.stringify(d.values[i] ?? null)}`).join(', ')));
    }
    cache.set(first.sweep_id, names);
  }
  return names.get(first.id) ?? null;
}

/** A run's name: the one typed in its config, else its first job's title; a sweep member's ends with its values. */
function runName(ws: Workspace, first: JobRow, cache: Map<string, Map<number, string>>): string {
  const config = JSON.parse(first.params) as TrainConfig;
  const base = config.name ?? first.title;
  const suffix = sweepSuffix(ws, first, cache);
  return suffix ? `${base} (${suffix})` : base;
}

/**
 * The per-sample predictions of a run's last job (a resumed run's newest),
 * summarised: confusion matrix, per-class metrics, a page of the misclassified
 * samples with their dataset paths.
 */
function runPredictions(ws: Workspace, req: { jobId: number; offset: number; limit: number; trueLabel?: number; predictedLabel?: number }): RunPredictions {
  trainJob(ws, req.jobId);
  const chain = runChain(ws, req.jobId);
  const last = chain[chain.length - 1]!;
  const run = chain.length > 1 ? `Run #${chain[0]!.id} (its last job #${last.id})` : `Run #${last.id}`;
  if (last.status !== 'succeeded') throw new ApiError('conflict', `jobId: ${run} is ${last.status}, not finished; its test predictions are recorded when it succeeds.`, 'jobId');
  const artifact = ws.db.prepare("SELECT path FROM artifacts WHERE job_id = ? AND kind = 'predictions' ORDER BY id DESC LIMIT 1").get(last.id) as { path: string } | undefined;
  if (!artifact) {
    throw new ApiError('not_found', `jobId: ${run} has no predictions recorded: runs trained before per-sample predictions were kept (or without a test split and a validation set) have none; train it again to see them.`, 'jobId');
  }
  const abs = ws.resolve(artifact.path);
  if (!existsSync(abs)) throw new ApiError('not_found', `jobId: the predictions file of ${run} is gone: ${artifact.path}.`, 'jobId');
  const file = JSON.parse(readFileSync(abs, 'utf8')) as PredictionsFile;
  const k = file.classNames.length;
  for (const [field, value] of [['trueLabel', req.trueLabel], ['predictedLabel', req.predictedLabel]] as const) {
    if (value !== undefined && value >= k) throw new ApiError('invalid_request', `${field}: the run has ${k} classes (0..${k - 1}); got ${value}.`, field);
  }
  const confusion = confusionMatrix(file.labels, file.predicted, k);
  const count = file.labels.length;
  const correct = confusion.reduce((a, row, i) => a + row[i]!, 0);
  const wrong = misclassified(file, { ...(req.trueLabel !== undefined ? { trueLabel: req.trueLabel } : {}), ...(req.predictedLabel !== undefined ? { predictedLabel: req.predictedLabel } : {}) });
  const page = wrong.slice(req.offset, req.offset + req.limit);
  const paths = new Map<number, string>();
  if (page.length) {
    const rows = ws.db.prepare(`SELECT id, path FROM samples WHERE id IN (${page.map(() => '?').join(',')})`).all(...page.map((m) => m.sampleId)) as { id: number; path: string }[];
    for (const r of rows) paths.set(r.id, r.path);
  }
  return {
    jobId: req.jobId,
    fromJobId: last.id,
    datasetId: file.datasetId,
    evaluatedOn: file.evaluatedOn,
    part: file.part,
    classNames: file.classNames,
    count,
    accuracy: count ? correct / count : 0,
    confusion,
    classes: classMetrics(confusion, file.classNames),
    misclassified: { total: wrong.length, offset: req.offset, items: page.map((m) => ({ ...m, path: paths.get(m.sampleId) ?? null })) },
  };
}

/** Handlers for the calls declared in common/contract/training.ts. */
export const trainHandlers: HandlerMap<keyof typeof trainCalls> = {
  'train.get': (req, { ws }) => {
    const row = trainJob(ws, req.jobId);
    const config = JSON.parse(row.params) as TrainConfig;
    const result = row.result ? (JSON.parse(row.result) as TrainResult) : null;
    const parent = config.parentModelId
      ? (ws.db.prepare('SELECT id, name, method FROM models WHERE id = ?').get(config.parentModelId) as { id: number; name: string; method: string | null } | undefined) ?? null
      : null;
    const model = (ws.db.prepare('SELECT id, name FROM models WHERE job_id = ? ORDER BY id DESC LIMIT 1').get(row.id) as { id: number; name: string } | undefined) ?? null;
    const chain = resumeChain(ws.db, row.id).map((j) => j.id);
    const marks = chain.map(() => '?').join(',');
    const artifacts = ws.db
      .prepare(`SELECT kind, path, meta, created_at FROM artifacts WHERE job_id IN (${marks}) AND kind IN ('checkpoint', 'prune-filters') ORDER BY id`)
      .all(...chain) as { kind: string; path: string; meta: string; created_at: string }[];
    const checkpoints = artifacts.filter((a) => a.kind === 'checkpoint').map((a) => ({ epoch: (JSON.parse(a.meta) as { epoch: number }).epoch, path: a.path, createdAt: a.created_at }));
    const pruneRates = artifacts.filter((a) => a.kind === 'prune-filters').map((a) => JSON.parse(a.meta) as { epoch: number; rate: number });
    return { jobId: row.id, kind: row.kind, status: row.status, config, lineage: { parentModel: parent, model, resumedFromJobId: row.parent_job_id }, result, checkpoints, pruneRates };
  },
  'train.runs': (req, { ws }) => {
    const sweeps = new Map<string, Map<number, string>>();
    return runRoots(ws.db, TRAIN_KIND)
      .slice(0, req.limit ?? 200)
      .flatMap((id) => runRow(ws, id, sweeps) ?? []);
  },
  'train.curves': (req, { ws }) => {
    const sweeps = new Map<string, Map<number, string>>();
    return req.jobIds.map((id): RunCurves => {
      trainJob(ws, id);
      const chain = runChain(ws, id);
      const resumes = resumePoints(ws, chain);
      // A job's points past the epoch a later job resumed from were redone by that job.
      const cutAfter = new Map<number, number>();
      let cut = Infinity;
      for (let i = chain.length - 1; i >= 0; i--) {
        cutAfter.set(chain[i]!.id, cut);
        if (i > 0) cut = Math.min(cut, resumes[i - 1]!.epoch);
      }
      const points: CurvePoint[] = chain.flatMap((j) =>
        jobMetrics(ws.db, j.id, req.names ? { names: req.names } : {})
          .filter((p) => p.epoch === null || p.epoch <= cutAfter.get(j.id)!)
          .map((p) => ({ ...p, jobId: j.id })),
      );
      return { jobId: id, name: runName(ws, chain[0]!, sweeps), jobIds: chain.map((j) => j.id), points, resumes };
    });
  },
  'train.validateConfig': (req, { ws }) => {
    const parsed = trainConfigSchema.safeParse(req.config);
    if (!parsed.success) throw describeZodError(parsed.error, 'config');
    preflightTrain(parsed.data, ws);
    return { ok: true, config: parsed.data };
  },
  'train.predictions': (req, { ws }) => runPredictions(ws, req),
  'train.filterHistory': (req, { ws }) => {
    const row = trainJob(ws, req.jobId);
    const chain = resumeChain(ws.db, row.id).map((j) => j.id);
    const marks = chain.map(() => '?').join(',');
    const files = ws.db.prepare(`SELECT path FROM artifacts WHERE job_id IN (${marks}) AND kind = 'prune-filters' ORDER BY id`).all(...chain) as { path: string }[];
    const byEpoch = new Map<number, FilterRecordFile>();
    for (const f of files) {
      const abs = ws.resolve(f.path);
      if (!existsSync(abs)) continue;
      const rec = JSON.parse(readFileSync(abs, 'utf8')) as FilterRecordFile;
      byEpoch.set(rec.epoch, rec);
    }
    const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
    const first = epochs.length ? byEpoch.get(epochs[0]!)! : null;
    const wanted = req.layers ? new Set(req.layers) : null;
    const layers: FilterHistory['layers'] = (first?.layers ?? [])
      .filter((l) => !wanted || wanted.has(l.name))
      .map((l) => {
        const norms = epochs.map((e) => byEpoch.get(e)!.layers.find((m) => m.name === l.name)?.norms ?? []);
        const masks = epochs.map((e) => {
          const m = byEpoch.get(e)!.layers.find((x) => x.name === l.name);
          const zero = new Set(m?.zeroed ?? []);
          return Array.from({ length: l.norms.length }, (_, j) => zero.has(j));
        });
        const regrown = norms.map((n, i) => (i === 0 ? n.map(() => false) : regrownFilters(masks[i - 1]!, n)));
        return { name: l.name, role: l.role, filters: l.norms.length, norms, masks, regrown };
      });
    return { jobId: row.id, epochs, layers };
  },
};
