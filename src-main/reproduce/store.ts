/** All SQL on the reproductions tables (migration 006). */
import type Database from 'better-sqlite3';
import type { JobStatus } from '../common/contract/jobs.ts';
import type { ReproduceScale } from '../common/contract/reproduce.ts';

export interface ReproductionRow {
  id: number;
  entry: string;
  scale: ReproduceScale;
  dataset_id: number | null;
  seeds: string;
  sweep_id: string;
  created_at: string;
}

export interface ReproductionJobRow {
  job_id: number;
  run_key: string;
  seed: number;
}

export function insertReproduction(
  db: Database.Database,
  r: { entry: string; scale: ReproduceScale; datasetId: number; seeds: number[]; sweepId: string; jobs: { jobId: number; runKey: string; seed: number }[] },
): number {
  const id = Number(
    db.prepare('INSERT INTO reproductions (entry, scale, dataset_id, seeds, sweep_id) VALUES (?, ?, ?, ?, ?)').run(r.entry, r.scale, r.datasetId, JSON.stringify(r.seeds), r.sweepId).lastInsertRowid,
  );
  const add = db.prepare('INSERT INTO reproduction_jobs (reproduction_id, job_id, run_key, seed) VALUES (?, ?, ?, ?)');
  for (const j of r.jobs) add.run(id, j.jobId, j.runKey, j.seed);
  return id;
}

export function reproductionRow(db: Database.Database, id: number): ReproductionRow | undefined {
  return db.prepare('SELECT * FROM reproductions WHERE id = ?').get(id) as ReproductionRow | undefined;
}

export function reproductionRows(db: Database.Database): ReproductionRow[] {
  return db.prepare('SELECT * FROM reproductions ORDER BY id DESC').all() as ReproductionRow[];
}

export function reproductionJobs(db: Database.Database, id: number): ReproductionJobRow[] {
  return db.prepare('SELECT job_id, run_key, seed FROM reproduction_jobs WHERE reproduction_id = ? ORDER BY job_id').all(id) as ReproductionJobRow[];
}

/**
 * The job that stands for a queued run now: the run's job, or the last job
 * continuing it through `jobs resume` (a resumed run is one logical run).
 */
export function latestInChain(db: Database.Database, jobId: number): { id: number; status: JobStatus; result: string | null } {
  const get = db.prepare('SELECT id, status, result FROM jobs WHERE id = ?');
  const next = db.prepare('SELECT MIN(id) AS id FROM jobs WHERE parent_job_id = ?');
  let row = get.get(jobId) as { id: number; status: JobStatus; result: string | null };
  for (let guard = 0; guard < 10_000; guard++) {
    const child = (next.get(row.id) as { id: number | null }).id;
    if (child === null) break;
    row = get.get(child) as { id: number; status: JobStatus; result: string | null };
  }
  return row;
}
