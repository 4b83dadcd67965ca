import { readFileSync, rmSync } from 'node:fs';
import type { Workspace } from '../core/workspace.ts';
import type { DatasetInfo } from './dataset-info.ts';
import type { IndexedSample } from './formats/types.ts';
import type { ImportJobResult } from './import-runner.ts';

/** Datasets already imported from this root (for refusing a second import). */
export function datasetsWithRoot(ws: Workspace, root: string): { id: number; name: string }[] {
  return ws.db.prepare('SELECT id, name FROM datasets WHERE root_path = ? ORDER BY id').all(root) as { id: number; name: string }[];
}

/**
 * Commits an import: the dataset row, its classes and every sample, inside the
 * job manager's transaction (onComplete), so a failure leaves nothing behind.
 * Sets `result.report.datasetId` (the job's stored result is written after this).
 */
export function commitImport(ws: Workspace, jobId: number, result: ImportJobResult, allowDuplicate: boolean): number {
  try {
    const db = ws.db;
    const clash = datasetsWithRoot(ws, result.report.rootPath);
    if (clash.length > 0 && !allowDuplicate) {
      throw new Error(`${result.report.rootPath} is already imported as dataset ${clash[0]!.id} "${clash[0]!.name}"; import it again with allowDuplicate (--allow-duplicate).`);
    }
    const r = result.report;
    const info: DatasetInfo = {
      storage: result.blob ? 'decoded' : 'files',
      blob: result.blob,
      counts: r.counts,
      sizeBytes: result.sizeBytes,
      imageSize: result.imageSize,
      formatSource: r.formatSource,
      warnings: r.warnings,
      problems: r.problems,
      problemCount: r.problemCount,
      extra: result.extra,
    };
    const datasetId = Number(
      db.prepare('INSERT INTO datasets (name, format, root_path, job_id, info) VALUES (?, ?, ?, ?, ?)').run(r.name, r.format, r.rootPath, jobId, JSON.stringify(info)).lastInsertRowid,
    );
    const insertClass = db.prepare('INSERT INTO classes (dataset_id, idx, name) VALUES (?, ?, ?)');
    result.classes.forEach((name, idx) => insertClass.run(datasetId, idx, name));
    const insert = db.prepare(
      `INSERT INTO samples (dataset_id, path, split, label, person_id, camera, sequence, frame, domain, width, height, channels, size_bytes, mtime_ms, boxes, extra, real_path)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const text = readFileSync(result.indexFile, 'utf8');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const s = JSON.parse(text.slice(start, end)) as IndexedSample;
      insert.run(
        datasetId,
        s.path,
        s.split,
        s.label,
        s.personId ?? null,
        s.camera ?? null,
        s.sequence ?? null,
        s.frame ?? null,
        s.domain ?? null,
        s.width,
        s.height,
        s.channels,
        s.sizeBytes,
        s.mtimeMs,
        s.boxes ? JSON.stringify(s.boxes) : null,
        s.extra ? JSON.stringify(s.extra) : null,
        s.realPath ?? null,
      );
      start = end + 1;
    }
    r.datasetId = datasetId;
    return datasetId;
  } catch (err) {
    // The transaction rolls back; the decoded blob would be an orphan.
    rmSync(result.blobDir, { recursive: true, force: true });
    throw err;
  }
}
