import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import type { PipelineRecord, PipelineSpec } from '../common/contract/augment.ts';
import { resolvePipeline } from './pipeline.ts';

interface PipelineRow {
  id: number;
  name: string;
  spec: string;
  created_at: string;
}

function toRecord(r: PipelineRow): PipelineRecord {
  return { id: r.id, name: r.name, spec: JSON.parse(r.spec) as PipelineSpec, createdAt: r.created_at };
}

export function listPipelines(db: Database.Database): PipelineRecord[] {
  return (db.prepare('SELECT * FROM pipelines ORDER BY name').all() as PipelineRow[]).map(toRecord);
}

export function getPipeline(db: Database.Database, key: { id: number } | { name: string }): PipelineRecord {
  const row = ('id' in key
    ? db.prepare('SELECT * FROM pipelines WHERE id = ?').get(key.id)
    : db.prepare('SELECT * FROM pipelines WHERE name = ?').get(key.name)) as PipelineRow | undefined;
  if (!row) throw new ApiError('not_found', `Pipeline ${'id' in key ? key.id : `"${key.name}"`} does not exist.`, 'id' in key ? 'id' : 'name');
  return toRecord(row);
}

/** Saves a validated pipeline; an existing name is refused unless overwrite. */
export function savePipeline(db: Database.Database, name: string, spec: PipelineSpec, overwrite: boolean): PipelineRecord {
  resolvePipeline(spec);
  const json = JSON.stringify(spec);
  const existing = db.prepare('SELECT id FROM pipelines WHERE name = ?').get(name) as { id: number } | undefined;
  if (existing && !overwrite) throw new ApiError('conflict', `A pipeline named "${name}" exists; save with overwrite to replace it.`, 'name');
  if (existing) db.prepare('UPDATE pipelines SET spec = ? WHERE id = ?').run(json, existing.id);
  else db.prepare('INSERT INTO pipelines (name, spec) VALUES (?, ?)').run(name, json);
  return getPipeline(db, { name });
}

export function deletePipeline(db: Database.Database, id: number): void {
  const info = db.prepare('DELETE FROM pipelines WHERE id = ?').run(id);
  if (info.changes === 0) throw new ApiError('not_found', `Pipeline ${id} does not exist.`, 'id');
}
