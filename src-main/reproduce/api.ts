/** Handlers for the calls declared in common/contract/reproduce.ts (the writer process: SQL and queueing only). */
import type { reproduceCalls, ReproductionRunRow, ReproductionSummary } from '../common/contract/reproduce.ts';
import type { JobStatus } from '../common/contract/jobs.ts';
import type { TrainResult } from '../common/contract/train.ts';
import { ApiError } from '../common/contract/errors.ts';
import type { HandlerMap, ServiceContext } from '../core/handler-types.ts';
import { readSettings } from '../core/settings.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { catalogue, catalogueEntry, describeEntry } from './catalogue.ts';
import { insertReproduction, latestInChain, reproductionJobs, reproductionRow, reproductionRows, type ReproductionRow } from './store.ts';
import { reportMarkdown, reportRows } from './report.ts';

function entryOrThrow(id: string) {
  const entry = catalogueEntry(id);
  if (!entry) throw new ApiError('not_found', `No reproduction "${id}" (known: ${catalogue.map((e) => e.id).join(', ')}).`, 'entry');
  return entry;
}

/**
 * A run refused for its dataset's parts (no train part: plain class folders with no split
 * made yet) is about this request's `split`, the field the Reproduce form shows with its
 * one-click split; the train config's own field names nothing the caller sent.
 */
function splitRefusalOnField<T>(submit: () => T): T {
  try {
    return submit();
  } catch (err) {
    if (err instanceof ApiError && err.field !== undefined && /^dataset\.(split|trainSplit|valSplit|testSplit)$/.test(err.field)) throw new ApiError(err.code, err.message, 'split');
    throw err;
  }
}

function summary(ctx: ServiceContext, row: ReproductionRow): ReproductionSummary {
  const entry = catalogueEntry(row.entry);
  const dataset = row.dataset_id === null ? null : ((ctx.ws.db.prepare('SELECT id, name FROM datasets WHERE id = ?').get(row.dataset_id) as { id: number; name: string } | undefined) ?? null);
  const jobs: Partial<Record<JobStatus, number>> = {};
  for (const j of reproductionJobs(ctx.ws.db, row.id)) {
    const status = latestInChain(ctx.ws.db, j.job_id).status;
    jobs[status] = (jobs[status] ?? 0) + 1;
  }
  return {
    id: row.id,
    entry: row.entry,
    title: entry?.title ?? row.entry,
    scale: row.scale,
    dataset,
    seeds: JSON.parse(row.seeds) as number[],
    sweepId: row.sweep_id,
    createdAt: row.created_at,
    jobs,
  };
}

function runRows(ctx: ServiceContext, row: ReproductionRow): ReproductionRunRow[] {
  const entry = catalogueEntry(row.entry);
  const labels = new Map(entry?.scales[row.scale].runs.map((r) => [r.key, r.label]) ?? []);
  return reproductionJobs(ctx.ws.db, row.id).map((j) => {
    const job = latestInChain(ctx.ws.db, j.job_id);
    const result = job.status === 'succeeded' && job.result ? (JSON.parse(job.result) as TrainResult) : null;
    const model = result ? (ctx.ws.db.prepare('SELECT id FROM models WHERE job_id = ? ORDER BY id DESC LIMIT 1').get(job.id) as { id: number } | undefined) : undefined;
    const pct = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : v * 100);
    return {
      key: j.run_key,
      label: labels.get(j.run_key) ?? j.run_key,
      seed: j.seed,
      jobId: job.id,
      status: job.status,
      accuracy: pct(result?.metrics.accuracy),
      accuracyBnRecalibrated: pct(result?.metrics.accuracyBnRecalibrated),
      flopsCut: pct(result?.metrics.flopsReductionPaper),
      modelId: model?.id ?? null,
    };
  });
}

export const reproduceHandlers: HandlerMap<keyof typeof reproduceCalls> = {
  'reproduce.catalogue': () => catalogue.map(describeEntry),
  'reproduce.start': async (req, ctx) => {
    const entry = entryOrThrow(req.entry);
    const scale = entry.scales[req.scale];
    const dataset = ctx.ws.db.prepare('SELECT id FROM datasets WHERE id = ?').get(req.datasetId) as { id: number } | undefined;
    if (!dataset) throw new ApiError('not_found', `Dataset ${req.datasetId} does not exist.`, 'datasetId');
    if (entry.dataset.classes !== null) {
      const { n } = ctx.ws.db.prepare('SELECT COUNT(*) AS n FROM classes WHERE dataset_id = ?').get(req.datasetId) as { n: number };
      if (n !== entry.dataset.classes) {
        throw new ApiError('invalid_request', `${entry.title} expects ${entry.dataset.description}; dataset ${req.datasetId} has ${n} classes, not ${entry.dataset.classes}.`, 'datasetId');
      }
    }
    const unknown = (req.runs ?? []).filter((k) => !scale.runs.some((r) => r.key === k));
    if (unknown.length) throw new ApiError('invalid_request', `Unknown run(s) ${unknown.join(', ')} (the ${req.scale} scale has ${scale.runs.map((r) => r.key).join(', ')}).`, 'runs');
    const runs = req.runs ? scale.runs.filter((r) => req.runs!.includes(r.key)) : scale.runs;
    const seeds = req.seeds ?? scale.defaultSeeds;
    const members = seeds.flatMap((seed) => runs.map((run) => ({ run, seed })));
    const configs = members.map(({ run, seed }) => run.config({ datasetId: req.datasetId, split: req.split, seed }));
    await ctx.jobs.checkRunOn(req.runOn);
    const group = splitRefusalOnField(() =>
      ctx.jobs.submitGroup(
        jobKinds.trainRun,
        configs,
        { backend: req.backend ?? readSettings(ctx.ws).backend, runOn: req.runOn },
        (i, message) => `run ${members[i]!.run.key} (seed ${members[i]!.seed}): ${message}`,
      ),
    );
    const id = insertReproduction(ctx.ws.db, {
      entry: entry.id,
      scale: req.scale,
      datasetId: req.datasetId,
      seeds,
      sweepId: group.sweepId,
      jobs: group.jobs.map((j, i) => ({ jobId: j.id, runKey: members[i]!.run.key, seed: members[i]!.seed })),
    });
    ctx.events.emit('data.changed', { what: 'reproductions' });
    return summary(ctx, reproductionRow(ctx.ws.db, id)!);
  },
  'reproduce.list': (_req, ctx) => reproductionRows(ctx.ws.db).map((r) => summary(ctx, r)),
  'reproduce.report': (req, ctx) => {
    const row = reproductionRow(ctx.ws.db, req.id);
    if (!row) throw new ApiError('not_found', `Reproduction ${req.id} does not exist.`, 'id');
    const entry = entryOrThrow(row.entry);
    const runs = runRows(ctx, row);
    const rows = reportRows(entry, row.scale, runs);
    return { reproduction: summary(ctx, row), entry: describeEntry(entry), rows, runs, markdown: reportMarkdown(entry, row.scale, rows, runs) };
  },
};
