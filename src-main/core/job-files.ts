import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { FileEntry } from '../common/contract/jobs.ts';

/** Every regular file at or below `abs` (a folder artifact such as a TF.js export lists its files), in name order. */
function filesBelow(abs: string, kind: string, out: FileEntry[], depth = 0): void {
  let st;
  try {
    st = statSync(abs);
  } catch {
    return; // removed since it was recorded: nothing to offer
  }
  if (st.isFile()) {
    out.push({ kind, path: abs, sizeBytes: st.size });
    return;
  }
  // Artifact folders are shallow (an export, a model folder); the cap keeps a stray link loop finite.
  if (!st.isDirectory() || depth > 4) return;
  for (const name of readdirSync(abs).sort()) filesBelow(path.join(abs, name), kind, out, depth + 1);
}

function unique(files: FileEntry[]): FileEntry[] {
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
}

/** The files a job left (checkpoints, exports, reports, its models' weights), absolute paths, for Download / Show in folder. */
export function jobFiles(db: Database.Database, workspaceDir: string, jobId: number): FileEntry[] {
  const out: FileEntry[] = [];
  const artifacts = db.prepare('SELECT kind, path FROM artifacts WHERE job_id = ? ORDER BY id').all(jobId) as { kind: string; path: string }[];
  for (const a of artifacts) filesBelow(path.resolve(workspaceDir, a.path), a.kind, out);
  const models = db.prepare('SELECT dir FROM models WHERE job_id = ? ORDER BY id').all(jobId) as { dir: string }[];
  for (const m of models) filesBelow(path.resolve(workspaceDir, m.dir), 'model', out);
  return unique(out);
}

/** The files of a model: its folder (graph spec, weights) and the artifacts recorded for it (exports). */
export function modelFiles(db: Database.Database, workspaceDir: string, modelId: number): FileEntry[] {
  const out: FileEntry[] = [];
  const model = db.prepare('SELECT dir FROM models WHERE id = ?').get(modelId) as { dir: string } | undefined;
  if (model) filesBelow(path.resolve(workspaceDir, model.dir), 'model', out);
  const artifacts = db.prepare('SELECT kind, path FROM artifacts WHERE model_id = ? ORDER BY id').all(modelId) as { kind: string; path: string }[];
  for (const a of artifacts) filesBelow(path.resolve(workspaceDir, a.path), a.kind, out);
  return unique(out);
}
