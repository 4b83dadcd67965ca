/**
 * Runs a job spec's runner in THIS process against a real workspace, with the
 * same record/complete semantics as the job manager (writes in transactions,
 * metrics into SQLite). For tests and benchmarks that need a job's exact
 * code path without forking a job process; the app always uses the job manager.
 */
import { mkdirSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { openDatabase } from '../db/open-database.ts';
import type { Workspace } from '../workspace.ts';
import { finishJob, insertJob, insertMetrics } from './job-store.ts';
import type { JobRunContext, JobSpec } from './spec.ts';
import type { MetricPoint } from '../../common/contract/jobs.ts';

export interface InProcessOptions {
  /** Continue this earlier job (its folder holds the checkpoints). */
  resumeFrom?: number;
  /** Called with each metrics batch; return true to cancel the job (simulates a user cancel). */
  onMetrics?: (points: MetricPoint[]) => boolean | void;
  log?: (line: string) => void;
  /** Aborting it cancels the job, as a user's cancel would. */
  signal?: AbortSignal;
}

export interface InProcessOutcome<R> {
  jobId: number;
  status: 'succeeded' | 'cancelled' | 'failed';
  result: R | null;
  error: string | null;
}

export async function runJobInProcess<P, R>(ws: Workspace, spec: JobSpec<P, R>, rawParams: unknown, o: InProcessOptions = {}): Promise<InProcessOutcome<R>> {
  const params = spec.params.parse(rawParams);
  spec.preflight?.(params, ws);
  const jobId = insertJob(ws.db, { kind: spec.kind, title: spec.title(params), params, parentJobId: o.resumeFrom ?? null, status: 'running' });
  const jobDir = ws.jobDir(jobId);
  mkdirSync(jobDir, { recursive: true });
  const controller = new AbortController();
  if (o.signal) {
    if (o.signal.aborted) controller.abort();
    else o.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  // Like a job process: its own read-only connection (WAL lets it read while this one writes).
  const readers: Database.Database[] = [];
  const ctx: JobRunContext<P> = {
    jobId,
    params,
    workspaceDir: ws.dir,
    jobDir,
    signal: controller.signal,
    resume: o.resumeFrom !== undefined ? { fromJobId: o.resumeFrom, fromJobDir: ws.jobDir(o.resumeFrom) } : null,
    progress: () => {},
    log: (line) => o.log?.(line),
    metrics: (points) => {
      insertMetrics(ws.db, jobId, points);
      if (o.onMetrics?.(points)) controller.abort();
    },
    record: (type, payload) => Promise.resolve(ws.transaction(() => spec.onRecord?.({ ws, jobId, jobDir }, type, payload))),
    readDb: () => {
      if (readers.length === 0) readers.push(openDatabase(ws.dbPath, { readonly: true, fileMustExist: true }));
      return readers[0]!;
    },
  };
  const finish = (status: 'succeeded' | 'failed' | 'cancelled', result: unknown, error: string | null): void => {
    finishJob(ws.db, jobId, status, status === 'succeeded' ? { result } : { error });
  };
  try {
    const result = await (await spec.load()).default(ctx);
    if (controller.signal.aborted) {
      finish('cancelled', null, 'cancelled');
      return { jobId, status: 'cancelled', result: null, error: 'cancelled' };
    }
    ws.transaction(() => {
      spec.onComplete?.({ ws, jobId, jobDir }, result);
      finish('succeeded', result, null);
    });
    return { jobId, status: 'succeeded', result, error: null };
  } catch (err) {
    const cancelled = controller.signal.aborted;
    const message = err instanceof Error ? err.message : String(err);
    finish(cancelled ? 'cancelled' : 'failed', null, message);
    return { jobId, status: cancelled ? 'cancelled' : 'failed', result: null, error: message };
  } finally {
    for (const db of readers) db.close();
  }
}
