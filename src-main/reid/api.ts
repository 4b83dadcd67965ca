import path from 'node:path';
import type { reidCalls, ReidEvalSummary, ReidMetrics, ReidModelSummary, ReidQueryInfo, RankedList } from '../common/contract/reid.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import type { Workspace } from '../core/workspace.ts';
import { ApiError } from '../common/contract/errors.ts';
import { jobResult } from '../core/jobs/job-store.ts';
import { readEvalFiles } from './eval-store.ts';
import type { LoadedRanking } from './eval-store.ts';
import { VERDICT_NAMES, verdictOf } from './evaluate.ts';

interface EvalRow {
  job_id: number;
  path: string;
  model_id: number;
  created_at: string;
  model_name: string | null;
}

type EvalResultRow = { metrics: ReidMetrics; queryDatasetId: number; galleryDatasetId: number };

/** Evaluations with their stored job result (the artifact is written with the result, so a row without one is skipped). */
function evalRows(ws: Workspace, where = '', ...args: number[]): (EvalRow & { result: EvalResultRow })[] {
  const rows = ws.db
    .prepare(
      `SELECT a.job_id, a.path, a.model_id, a.created_at, m.name AS model_name
       FROM artifacts a LEFT JOIN models m ON m.id = a.model_id
       WHERE a.kind = 'reid-eval' ${where} ORDER BY a.job_id DESC`,
    )
    .all(...args) as EvalRow[];
  return rows.flatMap((r) => {
    const result = jobResult<EvalResultRow>(ws.db, r.job_id);
    return result ? [{ ...r, result }] : [];
  });
}

function toEvalSummary(r: EvalRow & { result: EvalResultRow }): ReidEvalSummary {
  const result = r.result;
  return {
    evalJobId: r.job_id,
    modelId: r.model_id,
    modelName: r.model_name ?? `model ${r.model_id}`,
    queryDatasetId: result.queryDatasetId,
    galleryDatasetId: result.galleryDatasetId,
    metrics: result.metrics,
    createdAt: r.created_at,
  };
}

// Rankings are read-only once written: keep the last few parsed for the explorer's repeated calls.
const cache = new Map<string, LoadedRanking>();
function loadRanking(ws: Workspace, evalJobId: number): { row: EvalRow; ranking: LoadedRanking } {
  const row = evalRows(ws, 'AND a.job_id = ?', evalJobId)[0];
  if (!row) throw new ApiError('not_found', `evalJobIds: job ${evalJobId} is not a finished re-ID evaluation.`, 'evalJobIds');
  const file = ws.resolve(row.path);
  let ranking = cache.get(file);
  if (!ranking) {
    ranking = readEvalFiles(file);
    if (cache.size >= 4) cache.delete(cache.keys().next().value!);
    cache.set(file, ranking);
  }
  return { row, ranking };
}

function samplePaths(ws: Workspace, ids: number[]): Map<number, string> {
  const out = new Map<number, string>();
  const stmt = ws.db.prepare('SELECT s.path, d.root_path FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?');
  for (const id of ids) {
    const r = stmt.get(id) as { path: string; root_path: string } | undefined;
    out.set(id, r ? path.resolve(ws.dir, r.root_path, r.path) : '');
  }
  return out;
}

function queryInfo(ws: Workspace, rankings: { evalJobId: number; ranking: LoadedRanking }[], qi: number, pathOf?: Map<number, string>): ReidQueryInfo {
  const first = rankings[0].ranking;
  const sampleId = first.query.sampleIds[qi];
  return {
    sampleId,
    personId: first.query.personIds[qi],
    camera: first.query.cameras[qi],
    path: (pathOf ?? samplePaths(ws, [sampleId])).get(sampleId) ?? '',
    results: rankings.map(({ evalJobId, ranking }) => {
      const k = evalJobId === rankings[0].evalJobId ? qi : ranking.query.sampleIds.indexOf(sampleId);
      return { evalJobId, ap: k >= 0 ? ranking.ap[k] : 0, firstGoodRank: k >= 0 && ranking.firstGoodRank[k] > 0 ? ranking.firstGoodRank[k] : null };
    }),
  };
}

/** Handlers for the calls declared in common/contract/reid.ts. */
export const reidHandlers: HandlerMap<keyof typeof reidCalls> = {
  'reid.models': (_req, { ws }) => {
    const rows = ws.db.prepare("SELECT id, name, arch, dataset_id, job_id, metrics, created_at FROM models WHERE method = 'ide' ORDER BY id DESC").all() as {
      id: number;
      name: string;
      arch: string;
      dataset_id: number | null;
      job_id: number | null;
      metrics: string;
      created_at: string;
    }[];
    return rows.map((r): ReidModelSummary => {
      const m = JSON.parse(r.metrics) as { lmpParts?: number; featureDim?: number; numClasses?: number; imageSize?: [number, number] };
      return {
        modelId: r.id,
        name: r.name,
        arch: r.arch,
        datasetId: r.dataset_id,
        jobId: r.job_id,
        lmpParts: m.lmpParts ?? 0,
        featureDim: m.featureDim ?? 0,
        numClasses: m.numClasses ?? 0,
        imageSize: m.imageSize ?? [0, 0],
        createdAt: r.created_at,
        evals: evalRows(ws, 'AND a.model_id = ?', r.id).map(toEvalSummary),
      };
    });
  },

  'reid.evals': (req, { ws }) => (req.modelId === undefined ? evalRows(ws) : evalRows(ws, 'AND a.model_id = ?', req.modelId)).map(toEvalSummary),

  'reid.queries': (req, { ws }) => {
    const rankings = req.evalJobIds.map((id) => ({ evalJobId: id, ranking: loadRanking(ws, id).ranking }));
    const first = rankings[0].ranking;
    const picked: number[] = [];
    for (let i = 0; i < first.query.sampleIds.length; i++) {
      if (req.personId !== undefined && first.query.personIds[i] !== req.personId) continue;
      if (req.failuresOnly && first.firstGoodRank[i] === 1) continue;
      picked.push(i);
    }
    const page = picked.slice(req.offset, req.offset + req.limit);
    const paths = samplePaths(ws, page.map((i) => first.query.sampleIds[i]));
    return { total: picked.length, items: page.map((i) => queryInfo(ws, rankings, i, paths)) };
  },

  'reid.ranking': (req, { ws }) => {
    const loaded = req.evalJobIds.map((id) => ({ evalJobId: id, ...loadRanking(ws, id) }));
    const lists: RankedList[] = [];
    let info: ReidQueryInfo | null = null;
    for (const { evalJobId, row, ranking } of loaded) {
      const qi = ranking.query.sampleIds.indexOf(req.querySampleId);
      if (qi < 0) throw new ApiError('not_found', `querySampleId: sample ${req.querySampleId} is not a query of evaluation ${evalJobId}.`, 'querySampleId');
      if (!info) info = queryInfo(ws, loaded.map((l) => ({ evalJobId: l.evalJobId, ranking: l.ranking })), qi);
      const k = Math.min(req.k, ranking.topK);
      const qp = ranking.query.personIds[qi];
      const qc = ranking.query.cameras[qi];
      const gIdx = Array.from(ranking.topIndex.subarray(qi * ranking.topK, qi * ranking.topK + k));
      const paths = samplePaths(ws, gIdx.map((g) => ranking.gallery.sampleIds[g]));
      lists.push({
        evalJobId,
        modelId: row.model_id,
        modelName: row.model_name ?? `model ${row.model_id}`,
        firstGoodRank: ranking.firstGoodRank[qi] > 0 ? ranking.firstGoodRank[qi] : null,
        ap: ranking.ap[qi],
        matches: gIdx.map((g, pos) => ({
          position: pos + 1,
          sampleId: ranking.gallery.sampleIds[g],
          personId: ranking.gallery.personIds[g],
          camera: ranking.gallery.cameras[g],
          path: paths.get(ranking.gallery.sampleIds[g]) ?? '',
          distance: ranking.topDistance[qi * ranking.topK + pos],
          verdict: VERDICT_NAMES[verdictOf(qp, qc, ranking.gallery.personIds[g], ranking.gallery.cameras[g])],
        })),
      });
    }
    return { query: info!, lists };
  },
};
