/**
 * The one home of SQL on the job tables (`jobs`, `job_logs`, `metrics`).
 * Every other module asks by name (`resumeChain(db, id)`, `jobParams(db, id)`,
 * `runJobs(db, id, kind)` ...). The reads take any connection, so job processes
 * use them on their read-only handle; the writes are for the writer process
 * (the job manager, and `runJobInProcess` for tests and benchmarks).
 */
import type Database from 'better-sqlite3';
import type { JobStatus, MetricPoint } from '../../common/contract/index.ts';

export interface JobRow {
  id: number;
  kind: string;
  title: string;
  status: JobStatus;
  params: string;
  result: string | null;
  error: string | null;
  progress: string | null;
  engine: string | null;
  backend: string | null;
  parent_job_id: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The first job that continues this one (jobs.resume); null when none. */
  continued_by: number | null;
  /** Null: this machine; else JSON `{"slurm":"<profile>"}`. */
  run_on: string | null;
  /** JSON: the Slurm job as last seen (SlurmJobInfo). */
  slurm: string | null;
  /** JSON: the journal offsets applied so far (restart point). */
  slurm_offsets: string | null;
  sweep_id: string | null;
  /** JSON array of the run's tags (kept on a run's first job). */
  tags: string;
  /** The run's notes (kept on a run's first job). */
  notes: string;
}

/** Every column plus `continued_by`: a job already resumed is not offered for resuming again. */
const JOB_COLUMNS = '*, (SELECT MIN(c.id) FROM jobs c WHERE c.parent_job_id = jobs.id) AS continued_by';

/** A guard against a parent_job_id cycle in a damaged database. */
const MAX_CHAIN = 10_000;

function now(): string {
  return new Date().toISOString();
}

// ---------------------------------------------------------------- reads

export function jobRow(db: Database.Database, id: number): JobRow | undefined {
  return db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
}

export function jobRows(db: Database.Database, filter: { kind?: string; status?: string; sweepId?: string; limit?: number } = {}): JobRow[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.kind) {
    where.push('kind = ?');
    args.push(filter.kind);
  }
  if (filter.status) {
    where.push('status = ?');
    args.push(filter.status);
  }
  if (filter.sweepId) {
    where.push('sweep_id = ?');
    args.push(filter.sweepId);
  }
  const sql = `SELECT ${JOB_COLUMNS} FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
  return db.prepare(sql).all(...args, filter.limit ?? 200) as JobRow[];
}

/** Rows of the given ids, oldest first (ids that do not exist are left out). */
export function jobRowsById(db: Database.Database, ids: readonly number[]): JobRow[] {
  if (ids.length === 0) return [];
  return db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY id`).all(...ids) as JobRow[];
}

export function queuedJobs(db: Database.Database): { id: number; kind: string; run_on: string | null; sweep_id: string | null }[] {
  return db.prepare("SELECT id, kind, run_on, sweep_id FROM jobs WHERE status = 'queued' ORDER BY id").all() as { id: number; kind: string; run_on: string | null; sweep_id: string | null }[];
}

export function runningJobIds(db: Database.Database): number[] {
  return (db.prepare("SELECT id FROM jobs WHERE status = 'running'").all() as { id: number }[]).map((r) => r.id);
}

/** The stored (validated) params of a job, or undefined when there is no such job. */
export function jobParams<T>(db: Database.Database, id: number): T | undefined {
  const row = db.prepare('SELECT params FROM jobs WHERE id = ?').get(id) as { params: string } | undefined;
  return row ? (JSON.parse(row.params) as T) : undefined;
}

/** The stored result of a job (null until it succeeded). */
export function jobResult<T>(db: Database.Database, id: number): T | null {
  const row = db.prepare('SELECT result FROM jobs WHERE id = ?').get(id) as { result: string | null } | undefined;
  return row?.result ? (JSON.parse(row.result) as T) : null;
}

/**
 * The job and the jobs it continued (jobs.resume), oldest first: one logical
 * run whose early epochs live in its ancestors' folders.
 */
export function resumeChain(db: Database.Database, id: number): JobRow[] {
  const first = jobRow(db, id);
  if (!first) return [];
  const chain = [first];
  const seen = new Set([first.id]);
  let parent = first.parent_job_id;
  while (parent !== null && !seen.has(parent) && chain.length < MAX_CHAIN) {
    seen.add(parent);
    const row = jobRow(db, parent);
    if (!row) break;
    chain.unshift(row);
    parent = row.parent_job_id;
  }
  return chain;
}

/**
 * Walks the resume chain from `id` towards the first job and returns the first
 * thing `probe` finds in a job folder: a job that died before its first
 * checkpoint hands over to the job it continued. `jobDir` maps an id to its folder.
 */
export function findAlongChain<T>(db: Database.Database, id: number, jobDir: (id: number) => string, probe: (dir: string, jobId: number) => T | null): T | null {
  const chain = resumeChain(db, id);
  if (chain.length === 0) return probe(jobDir(id), id);
  for (let i = chain.length - 1; i >= 0; i--) {
    const found = probe(jobDir(chain[i]!.id), chain[i]!.id);
    if (found !== null) return found;
  }
  return null;
}

/**
 * A whole run of one kind: its first job (walking up while the parent has the
 * same kind) and every job that continues it, breadth first. Used where a run
 * is shown as one thing (an SPGAN run and its resumes).
 */
export function runJobs(db: Database.Database, id: number, kind: string): number[] {
  let root = jobRow(db, id);
  if (!root || root.kind !== kind) return [];
  for (let guard = 0; root.parent_job_id !== null && guard < MAX_CHAIN; guard++) {
    const up = jobRow(db, root.parent_job_id);
    if (!up || up.kind !== kind) break;
    root = up;
  }
  const children = db.prepare('SELECT id FROM jobs WHERE parent_job_id = ? AND kind = ? ORDER BY id');
  const out: number[] = [];
  const queue = [root.id];
  while (queue.length > 0 && out.length < MAX_CHAIN) {
    const next = queue.shift()!;
    out.push(next);
    for (const c of children.all(next, kind) as { id: number }[]) queue.push(c.id);
  }
  return out;
}

/** Jobs of a kind that continue no job of the same kind (the first job of each run), newest first. */
export function runRoots(db: Database.Database, kind: string): number[] {
  const rows = db
    .prepare(
      `SELECT j.id FROM jobs j LEFT JOIN jobs p ON p.id = j.parent_job_id
       WHERE j.kind = ? AND (p.id IS NULL OR p.kind != ?) ORDER BY j.id DESC`,
    )
    .all(kind, kind) as { id: number }[];
  return rows.map((r) => r.id);
}

export function jobLogs(db: Database.Database, id: number, limit = 500): { ts: string; level: 'info' | 'warn' | 'error'; line: string }[] {
  const rows = db.prepare('SELECT ts, level, line FROM job_logs WHERE job_id = ? ORDER BY id DESC LIMIT ?').all(id, limit) as {
    ts: string;
    level: 'info' | 'warn' | 'error';
    line: string;
  }[];
  return rows.reverse();
}

/** Metrics of one or more jobs (a run across resumes), in recording order; optionally only some names or one epoch. */
export function jobMetrics(db: Database.Database, ids: number | readonly number[], filter: { names?: readonly string[]; epoch?: number } = {}): MetricPoint[] {
  const list = typeof ids === 'number' ? [ids] : [...ids];
  if (list.length === 0) return [];
  const names = filter.names ?? [];
  const byName = names.length ? `AND name IN (${names.map(() => '?').join(',')})` : '';
  const byEpoch = filter.epoch !== undefined ? 'AND epoch = ?' : '';
  const args: (number | string)[] = [...list, ...names];
  if (filter.epoch !== undefined) args.push(filter.epoch);
  const order = list.length === 1 ? 'step, rowid' : 'job_id, step, rowid';
  return db
    .prepare(`SELECT step, epoch, name, value FROM metrics WHERE job_id IN (${list.map(() => '?').join(',')}) ${byName} ${byEpoch} ORDER BY ${order}`)
    .all(...args) as MetricPoint[];
}

/**
 * Per metric name over the jobs of a run: the highest value, the last one
 * recorded (by epoch, then recording order) and the epoch of that last one.
 */
export function metricSummary(db: Database.Database, ids: readonly number[], names: readonly string[]): Map<string, { max: number; last: number; lastEpoch: number | null }> {
  const out = new Map<string, { max: number; last: number; lastEpoch: number | null }>();
  if (ids.length === 0 || names.length === 0) return out;
  const rows = db
    .prepare(
      `SELECT name, MAX(value) AS max,
        (SELECT m2.value FROM metrics m2 WHERE m2.name = m.name AND m2.job_id IN (${ids.map(() => '?').join(',')}) ORDER BY m2.epoch DESC, m2.job_id DESC, m2.rowid DESC LIMIT 1) AS last,
        MAX(epoch) AS lastEpoch
       FROM metrics m WHERE job_id IN (${ids.map(() => '?').join(',')}) AND name IN (${names.map(() => '?').join(',')}) GROUP BY name`,
    )
    .all(...ids, ...ids, ...names) as { name: string; max: number; last: number; lastEpoch: number | null }[];
  for (const r of rows) out.set(r.name, { max: r.max, last: r.last, lastEpoch: r.lastEpoch });
  return out;
}

/** A run's tags and notes: those of its first job (a run and its resumes share them). */
export function jobAnnotation(db: Database.Database, id: number): { id: number; tags: string[]; notes: string } | undefined {
  const first = resumeChain(db, id)[0];
  if (!first) return undefined;
  return { id: first.id, tags: JSON.parse(first.tags) as string[], notes: first.notes };
}

/** The highest epoch any of the jobs recorded a metric for, or null. */
export function lastMetricEpoch(db: Database.Database, ids: readonly number[]): number | null {
  if (ids.length === 0) return null;
  const row = db.prepare(`SELECT MAX(epoch) AS e FROM metrics WHERE job_id IN (${ids.map(() => '?').join(',')})`).get(...ids) as { e: number | null };
  return row.e;
}

// ---------------------------------------------------------------- writes (writer process)

export interface NewJob {
  kind: string;
  title: string;
  params: unknown;
  backend?: string | null;
  parentJobId?: number | null;
  /** 'queued' for the job manager; 'running' for in-process runs that start at once. */
  status?: 'queued' | 'running';
  /** Null or absent: this machine; else `{ slurm: profile }`. */
  runOn?: { slurm: string } | null;
  sweepId?: string | null;
}

export function insertJob(db: Database.Database, job: NewJob): number {
  const status = job.status ?? 'queued';
  const info = db
    .prepare('INSERT INTO jobs (kind, title, status, params, backend, parent_job_id, started_at, run_on, sweep_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      job.kind,
      job.title,
      status,
      JSON.stringify(job.params),
      job.backend ?? null,
      job.parentJobId ?? null,
      status === 'running' ? now() : null,
      job.runOn ? JSON.stringify(job.runOn) : null,
      job.sweepId ?? null,
    );
  return Number(info.lastInsertRowid);
}

export function markRunning(db: Database.Database, id: number): void {
  db.prepare("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?").run(now(), id);
}

/** Ends a job: its final status, result or error, and the finish time. */
export function finishJob(db: Database.Database, id: number, status: 'succeeded' | 'failed' | 'cancelled', outcome: { result?: unknown; error?: string | null } = {}): void {
  if (status === 'succeeded') {
    db.prepare("UPDATE jobs SET status = 'succeeded', result = ?, finished_at = ?, error = NULL WHERE id = ?").run(JSON.stringify(outcome.result ?? null), now(), id);
  } else if (outcome.error !== undefined) {
    db.prepare('UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?').run(status, outcome.error, now(), id);
  } else {
    db.prepare('UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?').run(status, now(), id);
  }
}

/** Jobs still marked running did not finish (the app stopped): they become 'interrupted' and resumable. */
export function markInterrupted(db: Database.Database, ids: readonly number[], reason: string): void {
  const mark = db.prepare("UPDATE jobs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'");
  db.transaction(() => {
    for (const id of ids) mark.run(now(), reason, id);
  })();
}

export function saveProgress(db: Database.Database, id: number, progressJson: string): void {
  db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(progressJson, id);
}

/** What the host last saw of a job's Slurm job (JSON of SlurmJobInfo). */
export function saveSlurmInfo(db: Database.Database, id: number, info: unknown): void {
  db.prepare('UPDATE jobs SET slurm = ? WHERE id = ?').run(JSON.stringify(info), id);
}

/** How far the job folder's journals have been applied; written with the effects of those messages. */
export function saveSlurmOffsets(db: Database.Database, id: number, offsets: unknown): void {
  db.prepare('UPDATE jobs SET slurm_offsets = ? WHERE id = ?').run(JSON.stringify(offsets), id);
}

export function saveEngine(db: Database.Database, id: number, engine: unknown): void {
  db.prepare('UPDATE jobs SET engine = ? WHERE id = ?').run(JSON.stringify(engine), id);
}

export function insertLog(db: Database.Database, id: number, ts: string, level: string, line: string): void {
  db.prepare('INSERT INTO job_logs (job_id, ts, level, line) VALUES (?, ?, ?, ?)').run(id, ts, level, line);
}

/** Sets a run's tags and/or notes (on its first job); a field left out stays. Returns what is stored. */
export function annotateJob(db: Database.Database, id: number, change: { tags?: readonly string[]; notes?: string }): { id: number; tags: string[]; notes: string } | undefined {
  const current = jobAnnotation(db, id);
  if (!current) return undefined;
  const next = { id: current.id, tags: change.tags ? [...change.tags] : current.tags, notes: change.notes ?? current.notes };
  db.prepare('UPDATE jobs SET tags = ?, notes = ? WHERE id = ?').run(JSON.stringify(next.tags), next.notes, next.id);
  return next;
}

export function insertMetrics(db: Database.Database, id: number, points: readonly MetricPoint[]): void {
  const insert = db.prepare('INSERT INTO metrics (job_id, step, epoch, name, value) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const p of points) insert.run(id, p.step, p.epoch, p.name, p.value);
  })();
}
