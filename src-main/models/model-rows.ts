/** The models table: inserting (writer process only) and reading rows. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Workspace } from '../core/workspace.ts';
import { insertArtifact } from '../core/artifacts.ts';
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

export interface SavedModel {
  name: string;
  arch: string;
  /** Workspace-relative (or absolute, inside the workspace) folder holding model.json + weights.bin. */
  dir: string;
  parentModelId?: number | null;
  datasetId?: number | null;
  method: string;
  rate?: number | null;
  metrics: Record<string, unknown>;
  /** The graph spec; read from the folder's model.json when not given. */
  spec?: unknown;
  /** The files to record as 'weights' artifacts (default: model.json and weights.bin), with hashes when known. */
  files?: { path: string; sha256?: string; meta?: Record<string, unknown> }[];
}

/**
 * The one way a job records the model it saved: the models row (spec read from
 * the saved model.json, so this stays TF.js-free) and its weight files as
 * artifacts. Runs in the writer's transaction (a job's onComplete); returns the id.
 */
export function recordSavedModel(ws: Workspace, jobId: number, m: SavedModel): number {
  const absDir = ws.resolve(m.dir);
  let spec = m.spec;
  if (spec === undefined) {
    const manifest = path.join(absDir, 'model.json');
    if (!existsSync(manifest)) throw new Error(`The saved model is missing: ${manifest}.`);
    spec = (JSON.parse(readFileSync(manifest, 'utf8')) as { spec: unknown }).spec;
  }
  const modelId = insertModelRow(ws.db, {
    name: m.name,
    arch: m.arch,
    spec: JSON.stringify(spec),
    dir: ws.relative(absDir),
    parentModelId: m.parentModelId ?? null,
    datasetId: m.datasetId ?? null,
    jobId,
    method: m.method,
    rate: m.rate ?? null,
    metrics: m.metrics,
  });
  const files: NonNullable<SavedModel['files']> = m.files ?? ['model.json', 'weights.bin'].map((f) => ({ path: path.join(absDir, f) }));
  for (const f of files) {
    insertArtifact(ws, { kind: 'weights', absPath: ws.resolve(f.path), sha256: f.sha256, jobId, modelId, meta: f.meta });
  }
  return modelId;
}
