import { rmSync } from 'node:fs';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { ApiError } from '../common/contract/errors.ts';
import type { FormatDetection, ImportProblem } from '../common/contract/datasets.ts';
import type { Workspace } from '../core/workspace.ts';
import { parseInfo } from './dataset-info.ts';
import { detectFormats, unwrapRoot } from './formats/registry.ts';
import { datasetsWithRoot } from './import-writer.ts';
import { canonicalRoot } from './roots.ts';
import { forgetBlob } from './pixels.ts';
import { datasetRow } from './queries.ts';
import { DatasetFileRefusedError, resolveSampleFile } from './sample-file.ts';

/** The format a folder looks like; a path that does not exist is refused, naming it (the same words as the import's refusal). */
export function detect(ws: Workspace, p: string): FormatDetection {
  const canonical = canonicalRoot(p);
  if (!existsSync(canonical)) throw new ApiError('invalid_request', `${canonical} does not exist.`, 'path');
  const root = unwrapRoot(canonical, 'auto');
  const candidates = detectFormats(root);
  const clash = datasetsWithRoot(ws, root)[0];
  return { path: root, format: candidates[0]?.format ?? null, candidates, alreadyImported: clash ? { datasetId: clash.id, name: clash.name } : null };
}

/** Forgets a dataset: rows go (samples and classes cascade), decoded blob and thumbnails are deleted; files in place stay. */
export function deleteDataset(ws: Workspace, id: number): void {
  const row = datasetRow(ws.db, id);
  const info = parseInfo(row.info);
  ws.transaction(() => {
    ws.db.prepare('DELETE FROM samples WHERE dataset_id = ?').run(id);
    ws.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
  });
  if (info.blob) {
    const abs = ws.resolve(info.blob.path);
    forgetBlob(abs);
    rmSync(path.dirname(abs), { recursive: true, force: true });
  }
  rmSync(path.join(ws.artifactsDir, 'thumbs', String(id)), { recursive: true, force: true });
}

/** Compares indexed files with the size and mtime recorded at import. */
export function verifyDataset(ws: Workspace, id: number, limit?: number): { checked: number; changed: ImportProblem[] } {
  const row = datasetRow(ws.db, id);
  const info = parseInfo(row.info);
  const changed: ImportProblem[] = [];
  if (info.blob) {
    const abs = ws.resolve(info.blob.path);
    const expected = info.blob.n * info.blob.h * info.blob.w * info.blob.c;
    try {
      const size = statSync(abs).size;
      if (size !== expected) changed.push({ file: abs, code: 'corrupt_image', message: `decoded pixel file has ${size} bytes, expected ${expected}` });
    } catch {
      changed.push({ file: abs, code: 'vanished', message: 'decoded pixel file is missing' });
    }
    return { checked: 1, changed };
  }
  const rows = ws.db.prepare(`SELECT path, size_bytes, mtime_ms, real_path FROM samples WHERE dataset_id = ? ORDER BY id${limit ? ' LIMIT ?' : ''}`).all(...(limit ? [id, limit] : [id])) as {
    path: string;
    size_bytes: number | null;
    mtime_ms: number | null;
    real_path: string | null;
  }[];
  for (const r of rows) {
    let real: string;
    try {
      real = resolveSampleFile(row.root_path, r.path, r.real_path, `Dataset ${id}`);
    } catch (err) {
      if (err instanceof DatasetFileRefusedError) changed.push({ file: r.path, code: 'outside_root', message: err.message });
      else changed.push({ file: r.path, code: 'vanished', message: 'missing (moved or deleted since import)' });
      continue;
    }
    try {
      const st = statSync(real);
      if (r.size_bytes !== null && st.size !== r.size_bytes) changed.push({ file: r.path, code: 'corrupt_image', message: `size changed ${r.size_bytes} -> ${st.size} bytes` });
      else if (r.mtime_ms !== null && Math.floor(st.mtimeMs) !== r.mtime_ms) changed.push({ file: r.path, code: 'corrupt_image', message: 'modified after it was imported' });
    } catch {
      changed.push({ file: r.path, code: 'vanished', message: 'missing (moved or deleted since import)' });
    }
  }
  return { checked: rows.length, changed };
}
