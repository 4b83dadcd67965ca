import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Workspace } from '../../src-main/core/workspace.ts';
import type { JobSpec } from '../../src-main/core/jobs/spec.ts';
import { insertJob } from '../../src-main/core/jobs/job-store.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import type { MetricPoint } from '../../src-main/common/contract/jobs.ts';

/** A fresh workspace in a temp folder; `cleanup()` removes it. */
export function tempWorkspace(): { ws: Workspace; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-spgan-'));
  const ws = Workspace.open(path.join(dir, 'ws'));
  return { ws, dir, cleanup: () => { ws.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export interface FixtureSample {
  personId: number | null;
  camera: number | null;
  split: string | null;
  /** Base colour of the image, so tests can tell images apart. */
  rgb: [number, number, number];
}

/** Writes small PNGs (h x w, a colour plus a gradient) and inserts a re-ID dataset with them. */
export async function addReidDataset(ws: Workspace, root: string, name: string, samples: FixtureSample[], size: [number, number] = [40, 20]): Promise<number> {
  mkdirSync(root, { recursive: true });
  const [h, w] = size;
  const ds = ws.db.prepare("INSERT INTO datasets (name, format, root_path, info) VALUES (?, 'market1501', ?, '{}')").run(name, root);
  const datasetId = Number(ds.lastInsertRowid);
  const insert = ws.db.prepare('INSERT INTO samples (dataset_id, path, split, person_id, camera, width, height, channels, size_bytes, mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 3, ?, ?)');
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const px = Buffer.alloc(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = Math.min(255, s.rgb[c] + ((x * 7 + y * 3 + i * 11) % 40));
    const file = `${String(s.personId ?? 0).padStart(4, '0')}_c${s.camera ?? 0}s1_${String(i).padStart(6, '0')}_00.png`;
    const abs = path.join(root, file);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(abs);
    const st = statSync(abs);
    insert.run(datasetId, file, s.split, s.personId, s.camera, w, h, st.size, Math.floor(st.mtimeMs));
  }
  return datasetId;
}

/** Inserts a job row (artifacts and datasets reference it) for running a runner directly. */
export function addJobRow(ws: Workspace, kind: string, params: unknown, parentJobId: number | null = null): number {
  return insertJob(ws.db, { kind, title: kind, params, parentJobId, status: 'running' });
}

export interface DirectRun<R> {
  jobId: number;
  result: R;
  metrics: MetricPoint[];
  logs: string[];
}

/**
 * Runs a job spec's runner in this process against a real workspace, the way
 * the job process does (runJobInProcess), keeping its metrics and log lines;
 * a failed or cancelled run throws.
 */
export async function runDirect<P, R>(
  ws: Workspace,
  spec: JobSpec<P, R>,
  rawParams: unknown,
  options: { signal?: AbortSignal; resumeFrom?: number } = {},
): Promise<DirectRun<R>> {
  const metrics: MetricPoint[] = [];
  const logs: string[] = [];
  const outcome = await runJobInProcess(ws, spec, rawParams, {
    resumeFrom: options.resumeFrom,
    signal: options.signal,
    log: (line) => logs.push(line),
    onMetrics: (points) => void metrics.push(...points),
  });
  if (outcome.status !== 'succeeded') throw new Error(outcome.error ?? outcome.status);
  return { jobId: outcome.jobId, result: outcome.result as R, metrics, logs };
}
