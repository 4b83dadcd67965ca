import path from 'node:path';
import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import type { SpganConfig, TranslatedDatasetLineage } from '../common/contract/spgan.ts';
import type { Workspace } from '../core/workspace.ts';
import { jobParams, jobRow, runJobs } from '../core/jobs/job-store.ts';
import { jobKinds } from '../common/contract/kinds.ts';

/**
 * Database side of SPGAN runs and translations (writer process and API):
 * which jobs form a run, where its checkpoints are, and the one-transaction
 * commit of a translated dataset.
 */

/** A run = a 'spgan.train' job plus the jobs that resumed it (and the ones it resumed). */
export function runChain(db: Database.Database, jobId: number): number[] {
  return runJobs(db, jobId, jobKinds.spganTrain);
}

export interface RunCheckpoint {
  runJobId: number;
  epoch: number;
  /** Absolute path without extension (`.json` + `.bin`). */
  base: string;
  config: SpganConfig;
}

export function runConfig(db: Database.Database, jobId: number): SpganConfig {
  return jobParams<SpganConfig>(db, jobId) ?? ({} as SpganConfig);
}

/** Checkpoint epochs of a run, ascending, with their files. */
export function runCheckpoints(db: Database.Database, runJobId: number): { epoch: number; jobId: number; binPath: string }[] {
  const chain = runChain(db, runJobId);
  if (chain.length === 0) return [];
  const marks = chain.map(() => '?').join(',');
  const rows = db
    .prepare(`SELECT job_id, path, json_extract(meta, '$.epoch') AS epoch FROM artifacts WHERE kind = 'checkpoint' AND json_extract(meta, '$.spgan') = 1 AND job_id IN (${marks}) ORDER BY epoch`)
    .all(...chain) as { job_id: number; path: string; epoch: number }[];
  return rows.map((r) => ({ epoch: r.epoch, jobId: r.job_id, binPath: r.path }));
}

/** The checkpoint a translation uses (the given epoch, or the last one); throws naming `field`. */
export function findRunCheckpoint(db: Database.Database, runJobId: number, epoch: number | undefined, field: string): RunCheckpoint {
  const job = jobRow(db, runJobId);
  if (!job) throw new ApiError('not_found', `${field}: job ${runJobId} does not exist.`, field);
  if (job.kind !== jobKinds.spganTrain) throw new ApiError('invalid_request', `${field}: job ${runJobId} is a '${job.kind}' job, not an SPGAN run ('spgan.train').`, field);
  const all = runCheckpoints(db, runJobId);
  if (all.length === 0) throw new ApiError('invalid_request', `${field}: SPGAN run ${runJobId} has no checkpoint yet (one is saved after every epoch).`, field);
  const pick = epoch === undefined ? all[all.length - 1] : all.find((c) => c.epoch === epoch);
  if (!pick) throw new ApiError('invalid_request', `epoch: run ${runJobId} has no checkpoint for epoch ${epoch} (it has ${all.map((c) => c.epoch).join(', ')}).`, 'epoch');
  const workspaceDir = path.dirname(db.name);
  return { runJobId, epoch: pick.epoch, base: path.resolve(workspaceDir, pick.binPath.replace(/\.bin$/, '')), config: runConfig(db, pick.jobId) };
}

export interface TranslatedItem {
  sourceSampleId: number;
  /** Relative to the translated dataset's root folder. */
  file: string;
  split: string | null;
  label: number | null;
  personId: number | null;
  camera: number | null;
  sequence: number | null;
  frame: number | null;
  sizeBytes: number;
  mtimeMs: number;
}

export interface TranslationOutcome {
  /** Absolute folder holding the translated images (inside the job folder). */
  rootDir: string;
  name: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  runJobId: number;
  epoch: number;
  imageSize: [number, number];
  config: SpganConfig;
  items: TranslatedItem[];
}

/** Inserts the translated dataset, its samples and lineage; runs inside the job-success transaction. */
export function commitTranslation(ws: Workspace, jobId: number, r: TranslationOutcome): number {
  const lineage: TranslatedDatasetLineage = {
    kind: 'spgan-translation',
    runJobId: r.runJobId,
    translateJobId: jobId,
    epoch: r.epoch,
    sourceDatasetId: r.sourceDatasetId,
    targetDatasetId: r.targetDatasetId,
    imageSize: r.imageSize,
    config: r.config,
  };
  const splits: Record<string, number> = {};
  const persons = new Set<number>();
  const cameras = new Set<number>();
  let sizeBytes = 0;
  for (const it of r.items) {
    splits[it.split ?? 'none'] = (splits[it.split ?? 'none'] ?? 0) + 1;
    if (it.personId !== null && it.personId > 0) persons.add(it.personId);
    if (it.camera !== null) cameras.add(it.camera);
    sizeBytes += it.sizeBytes;
  }
  const info = {
    storage: 'files',
    blob: null,
    counts: { samples: r.items.length, classes: 0, identities: persons.size, cameras: cameras.size, splits, withBoxes: 0, domains: {} },
    sizeBytes,
    imageSize: { width: r.imageSize[1], height: r.imageSize[0], channels: 3 },
    formatSource: 'detected',
    warnings: [],
    problems: [],
    problemCount: 0,
    extra: { lineage },
    lineage,
  };
  const ds = ws.db
    .prepare("INSERT INTO datasets (name, format, root_path, job_id, parent_dataset_id, info) VALUES (?, 'translated', ?, ?, ?, ?)")
    .run(r.name, r.rootDir, jobId, r.sourceDatasetId, JSON.stringify(info));
  const datasetId = Number(ds.lastInsertRowid);
  const insert = ws.db.prepare(
    `INSERT INTO samples (dataset_id, path, split, label, person_id, camera, sequence, frame, width, height, channels, size_bytes, mtime_ms, extra)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3, ?, ?, ?)`,
  );
  for (const it of r.items) {
    insert.run(datasetId, it.file, it.split, it.label, it.personId, it.camera, it.sequence, it.frame, r.imageSize[1], r.imageSize[0], it.sizeBytes, it.mtimeMs, JSON.stringify({ sourceSampleId: it.sourceSampleId }));
  }
  return datasetId;
}
