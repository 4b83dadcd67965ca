import { readFileSync, rmSync } from 'node:fs';
import type { Workspace } from '../core/workspace.ts';
import type { DatasetInfo } from '../datasets/dataset-info.ts';
import type { IndexedSample } from '../datasets/formats/types.ts';
import type { GenerateResult } from './generate-runner.ts';

/** Lineage stored in a generated dataset's info (`extra.lineage`). */
export interface GeneratedDatasetLineage {
  kind: 'localization-set';
  jobId: number;
  objectDatasetId: number;
  backgroundDatasetId: number | null;
  params: GenerateResult['params'];
}

/**
 * Commits a generated set in the job's onComplete transaction: the dataset
 * (format 'generated', parent = the object dataset), its classes and samples
 * (boxes, blob index). The object masks stay in `info.extra.masks` for PxAP.
 */
export function commitGenerated(ws: Workspace, jobId: number, r: GenerateResult): number {
  try {
    const text = readFileSync(r.indexFile, 'utf8');
    const samples = text.length > 0 ? text.split('\n').map((l) => JSON.parse(l) as IndexedSample) : [];
    const lineage: GeneratedDatasetLineage = { kind: 'localization-set', jobId, objectDatasetId: r.objectDatasetId, backgroundDatasetId: r.backgroundDatasetId, params: r.params };
    const info: DatasetInfo = {
      storage: 'decoded',
      blob: r.blob,
      counts: { samples: samples.length, classes: r.classes.length, identities: 0, cameras: 0, splits: r.splits, withBoxes: samples.length, domains: {} },
      sizeBytes: r.blob.n * r.blob.h * r.blob.w * r.blob.c,
      imageSize: { width: r.blob.w, height: r.blob.h, channels: 1 },
      formatSource: 'detected',
      warnings: [],
      problems: [],
      problemCount: 0,
      extra: { lineage, masks: r.masks },
    };
    const db = ws.db;
    const datasetId = Number(
      db.prepare("INSERT INTO datasets (name, format, root_path, job_id, parent_dataset_id, info) VALUES (?, 'generated', ?, ?, ?, ?)").run(r.name, ws.resolve(r.blobDir), jobId, r.objectDatasetId, JSON.stringify(info)).lastInsertRowid,
    );
    const insertClass = db.prepare('INSERT INTO classes (dataset_id, idx, name) VALUES (?, ?, ?)');
    r.classes.forEach((name, idx) => insertClass.run(datasetId, idx, name ?? String(idx)));
    const insert = db.prepare(
      `INSERT INTO samples (dataset_id, path, split, label, width, height, channels, size_bytes, mtime_ms, boxes, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of samples) insert.run(datasetId, s.path, s.split, s.label, s.width, s.height, s.channels, s.sizeBytes, s.mtimeMs, JSON.stringify(s.boxes ?? []), JSON.stringify(s.extra ?? {}));
    return datasetId;
  } catch (err) {
    rmSync(ws.resolve(r.blobDir), { recursive: true, force: true });
    throw err;
  }
}
