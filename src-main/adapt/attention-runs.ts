/**
 * Which runs the attention maps compare, as the writer (preflight, calls) and
 * the `adapt.attention` job both ask it. No TF.js here.
 */
import type Database from 'better-sqlite3';
import type { AdaptAttentionParams, AdaptTrainParams } from '../common/contract/adapt.ts';
import { jobKinds } from '../common/contract/kinds.ts';

interface RunRow {
  id: number;
  status: string;
  params: string;
}

/** A finished adapt.train job's params, or null. */
export function finishedRun(db: Database.Database, jobId: number): AdaptTrainParams | null {
  const row = db.prepare('SELECT id, status, params FROM jobs WHERE id = ? AND kind = ?').get(jobId, jobKinds.adaptTrain) as RunRow | undefined;
  return row?.status === 'succeeded' ? (JSON.parse(row.params) as AdaptTrainParams) : null;
}

/** The newest finished source-only run on the same source, target and architecture as `jobId` (not itself), or null. */
export function compareRunOf(db: Database.Database, jobId: number): number | null {
  const run = finishedRun(db, jobId);
  if (!run) return null;
  const rows = db.prepare("SELECT id, status, params FROM jobs WHERE kind = ? AND status = 'succeeded' AND id != ? ORDER BY id DESC").all(jobKinds.adaptTrain, jobId) as RunRow[];
  for (const r of rows) {
    const p = JSON.parse(r.params) as AdaptTrainParams;
    if (p.method === 'source-only' && p.sourceDatasetId === run.sourceDatasetId && p.targetDatasetId === run.targetDatasetId && p.arch === run.arch) return r.id;
  }
  return null;
}

/** The newest finished adapt.attention job of a run, or null. */
export function latestAttentionJob(db: Database.Database, jobId: number): number | null {
  const rows = db.prepare("SELECT id, params FROM jobs WHERE kind = ? AND status = 'succeeded' ORDER BY id DESC").all(jobKinds.adaptAttention) as { id: number; params: string }[];
  return rows.find((r) => (JSON.parse(r.params) as AdaptAttentionParams).jobId === jobId)?.id ?? null;
}
