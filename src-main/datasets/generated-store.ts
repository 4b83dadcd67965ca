import { readFileSync, rmSync } from 'node:fs';
import type { Workspace } from '../core/workspace.ts';
import type { DatasetInfo } from './dataset-info.ts';
import type { IndexedSample } from './formats/types.ts';

/** What a job that made a decoded dataset hands its onComplete (pixels in a blob, rows in an NDJSON index). */
export interface GeneratedDataset {
  name: string;
  /** Workspace-relative folder holding the blob (removed when committing fails). */
  blobDir: string;
  blob: { path: string; n: number; h: number; w: number; c: number };
  /** NDJSON file of IndexedSample rows, blob order. */
  indexFile: string;
  classes: string[];
  splits: Record<string, number>;
  /** The dataset it was made from (lineage). */
  parentDatasetId: number;
  /** Stored in `info.extra` (lineage details, side blobs). */
  extra: Record<string, unknown>;
}

/**
 * Commits a generated dataset in its job's onComplete transaction: the dataset
 * (format 'generated', parent = the dataset it was made from), its classes and
 * sample rows. On failure the blob folder is removed, so nothing half-made stays.
 */
export function commitGeneratedDataset(ws: Workspace, jobId: number, g: GeneratedDataset): number {
  try {
    const text = readFileSync(g.indexFile, 'utf8');
    const samples = text.length > 0 ? text.split('\n').map((l) => JSON.parse(l) as IndexedSample) : [];
    const withBoxes = samples.filter((s) => (s.boxes?.length ?? 0) > 0).length;
    const info: DatasetInfo = {
      storage: 'decoded',
      blob: g.blob,
      counts: { samples: samples.length, classes: g.classes.length, identities: 0, cameras: 0, splits: g.splits, withBoxes, domains: {} },
      sizeBytes: g.blob.n * g.blob.h * g.blob.w * g.blob.c,
      imageSize: { width: g.blob.w, height: g.blob.h, channels: g.blob.c },
      formatSource: 'detected',
      warnings: [],
      problems: [],
      problemCount: 0,
      extra: g.extra,
    };
    const db = ws.db;
    const datasetId = Number(
      db.prepare("INSERT INTO datasets (name, format, root_path, job_id, parent_dataset_id, info) VALUES (?, 'generated', ?, ?, ?, ?)").run(g.name, ws.resolve(g.blobDir), jobId, g.parentDatasetId, JSON.stringify(info)).lastInsertRowid,
    );
    const insertClass = db.prepare('INSERT INTO classes (dataset_id, idx, name) VALUES (?, ?, ?)');
    g.classes.forEach((name, idx) => insertClass.run(datasetId, idx, name ?? String(idx)));
    const insert = db.prepare(
      `INSERT INTO samples (dataset_id, path, split, label, width, height, channels, size_bytes, mtime_ms, boxes, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of samples) insert.run(datasetId, s.path, s.split, s.label, s.width, s.height, s.channels, s.sizeBytes, s.mtimeMs, JSON.stringify(s.boxes ?? []), JSON.stringify(s.extra ?? {}));
    return datasetId;
  } catch (err) {
    rmSync(ws.resolve(g.blobDir), { recursive: true, force: true });
    throw err;
  }
}
