import path from 'node:path';
import type Database from 'better-sqlite3';
import { modelNames } from '../common/contract/models.ts';
import type { Model } from '../nn/forward.ts';
import { loadModel } from '../nn/model-file.ts';

export interface ModelRow {
  id: number;
  name: string;
  arch: string;
  dir: string;
  method: string | null;
  rate: number | null;
}

/** A workspace model's row and its weights, loaded (and checksum-checked) from its folder. Job processes only. */
export function loadWorkspaceModel(db: Database.Database, workspaceDir: string, modelId: number): { row: ModelRow; model: Model } {
  const row = db.prepare('SELECT id, name, arch, dir, method, rate FROM models WHERE id = ?').get(modelId) as ModelRow | undefined;
  if (!row) throw new Error(`No model with id ${modelId}.`);
  const { model } = loadModel(path.resolve(workspaceDir, row.dir), { knownArchs: modelNames });
  return { row, model };
}

/** A file name made from a model name: letters, digits, dot, dash and underscore only. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'model';
}
