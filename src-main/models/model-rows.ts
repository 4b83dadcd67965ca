/** The models table: inserting (writer process only) and reading rows. */
import type Database from 'better-sqlite3';
import type { ModelSummary } from '../common/contract/models.ts';
import { ApiError } from '../common/contract/errors.ts';

export interface ModelRow {
  id: number;
  name: string;
  arch: string;
  spec: string;
  dir: string;
  parent_model_id: number | null;
  dataset_id: number | null;
  job_id: number | null;
  method: string | null;
  rate: number | null;
  metrics: string;
  created_at: string;
}

export function toModelSummary(r: ModelRow): ModelSummary {
  return {
    id: r.id,
    name: r.name,
    arch: r.arch,
    method: r.method,
    rate: r.rate,
    parentModelId: r.parent_model_id,
    datasetId: r.dataset_id,
    jobId: r.job_id,
    dir: r.dir,
    metrics: JSON.parse(r.metrics) as Record<string, unknown>,
    createdAt: r.created_at,
  };
}

export function getModelRow(db: Database.Database, id: number, field = 'id'): ModelRow {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!row) throw new ApiError('not_found', `Model ${id} does not exist.`, field);
  return row;
}

export interface NewModelRow {
  name: string;
  arch: string;
  /** The graph spec as JSON text (read from the saved model.json). */
  spec: string;
  /** Workspace-relative folder. */
  dir: string;
  parentModelId: number | null;
  datasetId: number | null;
  jobId: number | null;
  method: string;
  rate: number | null;
  metrics: Record<string, unknown>;
}

/** Inserts a model row; call inside the writer's transaction (onComplete). Returns the id. */
export function insertModelRow(db: Database.Database, m: NewModelRow): number {
  const info = db
    .prepare('INSERT INTO models (name, arch, spec, dir, parent_model_id, dataset_id, job_id, method, rate, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(m.name, m.arch, m.spec, m.dir, m.parentModelId, m.datasetId, m.jobId, m.method, m.rate, JSON.stringify(m.metrics));
  return Number(info.lastInsertRowid);
}

/** Ancestors of a model, nearest first (stops on a cycle or a missing row). */
export function lineageOf(db: Database.Database, row: ModelRow): ModelRow[] {
  const out: ModelRow[] = [];
  const seen = new Set<number>([row.id]);
  let parent = row.parent_model_id;
  while (parent !== null && !seen.has(parent)) {
    seen.add(parent);
    const p = db.prepare('SELECT * FROM models WHERE id = ?').get(parent) as ModelRow | undefined;
    if (!p) break;
    out.push(p);
    parent = p.parent_model_id;
  }
  return out;
}
