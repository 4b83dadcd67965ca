import type { adaptCalls, AdaptRunSummary, AdaptTrainParams, AdaptTrainResult } from '../common/contract/adapt.ts';
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
  'adapt.runs': (_req, { ws }) => {
    const rows = ws.db.prepare('SELECT id, title, status, params, result FROM jobs WHERE kind = ? ORDER BY id DESC').all(jobKinds.adaptTrain) as RunRow[];
    return rows.map((r): AdaptRunSummary => {
      const p = JSON.parse(r.params) as AdaptTrainParams;
      const res = r.result ? (JSON.parse(r.result) as AdaptTrainResult) : null;
      const history = res?.history ?? [];
      return {
        jobId: r.id,
        title: r.title,
        status: r.status,
        method: p.method,
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
