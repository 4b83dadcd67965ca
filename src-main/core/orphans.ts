import { readdirSync, rmSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';

/** A per-job data folder (`artifacts/<area>/job-<N>/`) that nothing can refer to any more. */
export interface OrphanFolder {
  /** Workspace-relative path. */
  path: string;
  jobId: number;
  bytes: number;
  /** Why nothing refers to it (the job's end). */
  reason: string;
}

/** Statuses after which a job's own data folders hold nothing anyone refers to: results are committed only with `succeeded`, in one transaction. */
const deadEnds = new Set(['failed', 'cancelled', 'interrupted']);

function folderBytes(abs: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(abs, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/**
 * Folders named `job-<N>` directly under an area of `artifacts/` (decoded
 * datasets write `artifacts/datasets/job-<N>/`) whose job N ended without
 * succeeding: a killed import's decoded data. A folder of a job that
 * succeeded, still runs, has no row, or made a dataset, model or artifact
 * row is left alone. Works on a read-only
 * connection.
 */
export function findOrphanFolders(db: Database.Database, workspaceDir: string): OrphanFolder[] {
  const artifacts = path.join(workspaceDir, 'artifacts');
  const status = db.prepare('SELECT status, error FROM jobs WHERE id = ?');
  // A row that names the job as its maker refers to its folder whatever the job's status says
  // (a dataset or model committed before the job's own end was recorded).
  const referenced = db.prepare('SELECT 1 FROM datasets WHERE job_id = ? UNION ALL SELECT 1 FROM models WHERE job_id = ? UNION ALL SELECT 1 FROM artifacts WHERE job_id = ? LIMIT 1');
  const out: OrphanFolder[] = [];
  let areas: Dirent[];
  try {
    areas = readdirSync(artifacts, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const area of areas.filter((a) => a.isDirectory() && a.name !== 'jobs').sort((a, b) => a.name.localeCompare(b.name))) {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(artifacts, area.name), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const m = /^job-(\d+)$/.exec(e.name);
      if (!m || !e.isDirectory()) continue;
      const jobId = Number(m[1]);
      const row = status.get(jobId) as { status: string; error: string | null } | undefined;
      if (!row || !deadEnds.has(row.status) || referenced.get(jobId, jobId, jobId)) continue;
      const abs = path.join(artifacts, area.name, e.name);
      out.push({
        path: path.relative(workspaceDir, abs).split(path.sep).join('/'),
        jobId,
        bytes: folderBytes(abs),
        reason: `job ${jobId} ${row.status}${row.error ? ` (${row.error.slice(0, 80)})` : ''}; nothing refers to its data`,
      });
    }
  }
  return out;
}

/** Removes what `findOrphanFolders` finds (at start, after running jobs were marked interrupted); returns what it removed. */
export function removeOrphanFolders(db: Database.Database, workspaceDir: string): OrphanFolder[] {
  const found = findOrphanFolders(db, workspaceDir);
  for (const f of found) rmSync(path.join(workspaceDir, f.path), { recursive: true, force: true });
  return found;
}
