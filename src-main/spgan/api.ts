import path from 'node:path';
import type { spganCalls, SpganConfig, SpganRunSummary, SpganSampleItem, TranslatedDatasetLineage, TranslatedDatasetSummary } from '../common/contract/spgan.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import type { Workspace } from '../core/workspace.ts';
import { ApiError } from '../common/contract/errors.ts';
import { runChain, runCheckpoints } from './translation-store.ts';
import { jobMetrics, jobParams, jobRowsById, lastMetricEpoch, runRoots } from '../core/jobs/job-store.ts';
import { jobKinds } from '../common/contract/kinds.ts';

/** Absolute path of a sample's image (dataset roots may be absolute or workspace-relative). */
function sampleAbs(ws: Workspace, root: string, rel: string): string {
  return path.resolve(ws.dir, root, rel);
}

function chainOrThrow(ws: Workspace, jobId: number): number[] {
  const chain = runChain(ws.db, jobId);
  if (chain.length === 0) throw new ApiError('not_found', `jobId: job ${jobId} is not an SPGAN run ('spgan.train').`, 'jobId');
  return chain;
}

function inList(ids: number[]): string {
  return ids.map(() => '?').join(',');
}

function runSummary(ws: Workspace, rootId: number): SpganRunSummary {
  const chain = runChain(ws.db, rootId);
  const jobs = jobRowsById(ws.db, chain);
  const root = jobs[0];
  const latest = jobs[jobs.length - 1];
  const config = JSON.parse(root.params) as SpganConfig;
  const sampleEpochs = (
    ws.db
      .prepare(`SELECT DISTINCT json_extract(meta, '$.epoch') AS epoch FROM artifacts WHERE kind = 'spgan-sample' AND job_id IN (${inList(chain)}) ORDER BY epoch`)
      .all(...chain) as { epoch: number }[]
  ).map((r) => r.epoch);
  const lastEpoch = lastMetricEpoch(ws.db, chain);
  let lastLosses: Record<string, number> | null = null;
  if (lastEpoch !== null) {
    const rows = jobMetrics(ws.db, chain, { epoch: lastEpoch });
    lastLosses = Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }
  return {
    jobId: root.id,
    title: root.title,
    status: latest.status,
    createdAt: root.created_at,
    sourceDatasetId: config.sourceDatasetId,
    targetDatasetId: config.targetDatasetId,
    config,
    checkpointEpochs: runCheckpoints(ws.db, root.id).map((c) => c.epoch),
    sampleEpochs,
    lastLosses,
  };
}

function lineageOf(info: string): TranslatedDatasetLineage | null {
  try {
    const parsed = JSON.parse(info) as { lineage?: TranslatedDatasetLineage };
    return parsed.lineage?.kind === 'spgan-translation' ? parsed.lineage : null;
  } catch {
    return null;
  }
}

/** Handlers for the calls declared in common/contract/spgan.ts. */
export const spganHandlers: HandlerMap<keyof typeof spganCalls> = {
  'spgan.runs': (req, { ws }) => {
    // Resumed jobs belong to the run they continue: list chain roots only.
    const runs = runRoots(ws.db, jobKinds.spganTrain).map((id) => runSummary(ws, id));
    return req.status ? runs.filter((r) => r.status === req.status) : runs;
  },

  'spgan.samples': (req, { ws }) => {
    const chain = chainOrThrow(ws, req.jobId);
    const rows = ws.db
      .prepare(
        `SELECT a.path, json_extract(a.meta, '$.direction') AS direction, json_extract(a.meta, '$.sampleId') AS sampleId,
                s.person_id, s.camera, s.path AS samplePath, d.root_path
         FROM artifacts a JOIN samples s ON s.id = json_extract(a.meta, '$.sampleId') JOIN datasets d ON d.id = s.dataset_id
         WHERE a.kind = 'spgan-sample' AND a.job_id IN (${inList(chain)}) AND json_extract(a.meta, '$.epoch') = ?
         ORDER BY direction, s.person_id, s.id`,
      )
      .all(...chain, req.epoch) as { path: string; direction: 'AtoB' | 'BtoA'; sampleId: number; person_id: number | null; camera: number | null; samplePath: string; root_path: string }[];
    if (rows.length === 0) throw new ApiError('not_found', `epoch: run ${req.jobId} has no sample translations for epoch ${req.epoch}.`, 'epoch');
    const groups = new Map<string, { personId: number | null; items: SpganSampleItem[] }>();
    for (const r of rows) {
      if (req.direction !== 'both' && r.direction !== req.direction) continue;
      const key = `${r.direction}:${r.person_id}`;
      if (!groups.has(key)) groups.set(key, { personId: r.person_id, items: [] });
      groups.get(key)!.items.push({
        direction: r.direction,
        sampleId: r.sampleId,
        personId: r.person_id,
        camera: r.camera,
        realPath: sampleAbs(ws, r.root_path, r.samplePath),
        translatedPath: ws.resolve(r.path),
      });
    }
    return { jobId: req.jobId, epoch: req.epoch, groups: [...groups.values()] };
  },

  'spgan.targetExamples': (req, { ws }) => {
    const chain = chainOrThrow(ws, req.jobId);
    const config = jobParams<SpganConfig>(ws.db, chain[0]!)!;
    const rows = ws.db
      .prepare('SELECT s.id, s.path, s.person_id, s.camera, d.root_path FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.dataset_id = ? ORDER BY s.id')
      .all(config.targetDatasetId) as { id: number; path: string; person_id: number | null; camera: number | null; root_path: string }[];
    // Spread over the dataset rather than its first few files (usually one person).
    const n = Math.min(req.count, rows.length);
    const step = rows.length / Math.max(1, n);
    return Array.from({ length: n }, (_, k) => rows[Math.floor(k * step)]).map((r) => ({ sampleId: r.id, path: sampleAbs(ws, r.root_path, r.path), personId: r.person_id, camera: r.camera }));
  },

  'spgan.translatedDatasets': (req, { ws }) => {
    const chain = req.runJobId === undefined ? null : new Set(chainOrThrow(ws, req.runJobId));
    const rows = ws.db
      .prepare("SELECT d.id, d.name, d.parent_dataset_id, d.created_at, d.info, (SELECT COUNT(*) FROM samples s WHERE s.dataset_id = d.id) AS n FROM datasets d WHERE d.format = 'translated' ORDER BY d.id DESC")
      .all() as { id: number; name: string; parent_dataset_id: number | null; created_at: string; info: string; n: number }[];
    const out: TranslatedDatasetSummary[] = [];
    for (const r of rows) {
      const lineage = lineageOf(r.info);
      if (!lineage || (chain && !chain.has(lineage.runJobId))) continue;
      out.push({ datasetId: r.id, name: r.name, sourceDatasetId: r.parent_dataset_id, samples: r.n, createdAt: r.created_at, lineage });
    }
    return out;
  },

  'spgan.translatedPairs': (req, { ws }) => {
    const ds = ws.db.prepare('SELECT format, root_path FROM datasets WHERE id = ?').get(req.datasetId) as { format: string; root_path: string } | undefined;
    if (!ds) throw new ApiError('not_found', `datasetId: dataset ${req.datasetId} does not exist.`, 'datasetId');
    if (ds.format !== 'translated') throw new ApiError('invalid_request', `datasetId: dataset ${req.datasetId} is not a translated dataset.`, 'datasetId');
    const where = ['t.dataset_id = ?'];
    const args: (number | string)[] = [req.datasetId];
    const filters: [string, number | string | undefined][] = [
      ['t.person_id = ?', req.personId],
      ['t.camera = ?', req.camera],
      ['t.split = ?', req.split],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    const from = `FROM samples t LEFT JOIN samples s ON s.id = json_extract(t.extra, '$.sourceSampleId') LEFT JOIN datasets sd ON sd.id = s.dataset_id WHERE ${where.join(' AND ')}`;
    const total = (ws.db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = ws.db
      .prepare(`SELECT t.id, t.path, t.person_id, t.camera, t.split, s.id AS sid, s.path AS spath, sd.root_path AS sroot ${from} ORDER BY t.person_id, t.camera, t.id LIMIT ? OFFSET ?`)
      .all(...args, req.limit, req.offset) as { id: number; path: string; person_id: number | null; camera: number | null; split: string | null; sid: number | null; spath: string | null; sroot: string | null }[];
    return {
      total,
      items: rows.map((r) => ({
        sourceSampleId: r.sid ?? 0,
        translatedSampleId: r.id,
        personId: r.person_id,
        camera: r.camera,
        split: r.split,
        sourcePath: r.spath !== null && r.sroot !== null ? sampleAbs(ws, r.sroot, r.spath) : '',
        translatedPath: sampleAbs(ws, ds.root_path, r.path),
      })),
    };
  },
};
