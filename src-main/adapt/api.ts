import type { adaptCalls, AdaptAttentionResult, AdaptEvalResult, AdaptRunSummary, AdaptTrainParams, AdaptTrainResult } from '../common/contract/adapt.ts';
import { jobResult } from '../core/jobs/job-store.ts';
import { latestAttentionJob } from './attention-runs.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import type { JobStatus } from '../common/contract/jobs.ts';
import type { HandlerMap } from '../core/handler-types.ts';

interface RunRow {
  id: number;
  title: string;
  status: JobStatus;
  params: string;
  result: string | null;
}

/** Handlers for the calls declared in common/contract/adapt.ts. */
export const adaptHandlers: HandlerMap<keyof typeof adaptCalls> = {
  'adapt.generate': (req, { jobs }) => jobs.submit(jobKinds.adaptGenerate, req),
  'adapt.train': (req, { jobs }) => jobs.submit(jobKinds.adaptTrain, req),
  'adapt.attention': (req, { jobs }) => jobs.submit(jobKinds.adaptAttention, req),
  'adapt.attentionMaps': (req, { ws }) => {
    const id = latestAttentionJob(ws.db, req.jobId);
    const r = id !== null ? jobResult<AdaptAttentionResult>(ws.db, id) : null;
    if (id === null || !r) return null;
    const abs = (file: string): string => ws.resolve(file);
    const view = <V extends { maps: string[] }>(v: V): V => ({ ...v, maps: v.maps.map(abs) });
    return {
      ...r,
      attentionJobId: id,
      rows: r.rows.map((row) => ({ ...row, items: row.items.map((it) => ({ ...it, image: abs(it.image), adapted: view(it.adapted), sourceOnly: view(it.sourceOnly) })) })),
    };
  },
  'adapt.eval': (req, { jobs }) => jobs.submit(jobKinds.adaptEval, req),
  'adapt.evaluations': (_req, { ws }) => {
    const rows = ws.db.prepare("SELECT id, result FROM jobs WHERE kind = ? AND status = 'succeeded' AND result IS NOT NULL ORDER BY id DESC").all(jobKinds.adaptEval) as { id: number; result: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.result) as AdaptEvalResult), evalJobId: r.id }));
  },
  'adapt.runs': (_req, { ws }) => {
    // A run resumed after a cancel or crash is one run: its newest job (a job another one continues is left out).
    const rows = ws.db
      .prepare('SELECT id, title, status, params, result FROM jobs WHERE kind = ? AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_job_id = jobs.id AND c.kind = jobs.kind) ORDER BY id DESC')
      .all(jobKinds.adaptTrain) as RunRow[];
    return rows.map((r): AdaptRunSummary => {
      const p = JSON.parse(r.params) as AdaptTrainParams;
      const res = r.result ? (JSON.parse(r.result) as AdaptTrainResult) : null;
      const history = res?.history ?? [];
      return {
        jobId: r.id,
        title: r.title,
        status: r.status,
        method: p.method,
        arch: p.arch,
        sourceDatasetId: p.sourceDatasetId,
        targetDatasetId: p.targetDatasetId,
        history,
        sourceAccuracy: res?.sourceAccuracy ?? null,
        targetAccuracy: res?.targetAccuracy ?? null,
        chance: res?.chance ?? null,
      };
    });
  },
};
