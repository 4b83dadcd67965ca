import { readFileSync, existsSync } from 'node:fs';
import type { trainCalls } from '../common/contract/train.ts';
import { trainConfigSchema, type FilterHistory, type TrainConfig, type TrainResult } from '../common/contract/train.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { ApiError } from '../common/contract/errors.ts';
import { describeZodError } from '../core/jobs/job-manager.ts';
import type { Workspace } from '../core/workspace.ts';
import { jobRow, resumeChain, type JobRow } from '../core/jobs/job-store.ts';
import { preflightTrain } from './preflight.ts';
import { TRAIN_KIND } from './jobs.ts';
import type { FilterRecordFile } from './filter-history.ts';
import { regrownFilters } from '../prune/regrowth.ts';

function trainJob(ws: Workspace, id: number): JobRow {
  const row = jobRow(ws.db, id);
  if (!row) throw new ApiError('not_found', `Job ${id} does not exist.`, 'jobId');
  if (row.kind !== TRAIN_KIND) throw new ApiError('invalid_request', `Job ${id} is a ${row.kind} job, not a training run.`, 'jobId');
  return row;
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
  'train.validateConfig': (req, { ws }) => {
    const parsed = trainConfigSchema.safeParse(req.config);
    if (!parsed.success) throw describeZodError(parsed.error, 'config');
    preflightTrain(parsed.data, ws);
    return { ok: true, config: parsed.data };
  },
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
