/**
 * Runs a job spec's runner in THIS process against a real workspace, with the
 * same record/complete semantics as the job manager (writes in transactions,
 * metrics into SQLite). For tests and benchmarks that need a job's exact
 * code path without forking a job process; the app always uses the job manager.
 */
import { mkdirSync } from 'node:fs';
import type { Workspace } from '../core/workspace.ts';
import type { JobRunContext, JobSpec } from '../core/jobs/spec.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';

export interface InProcessOptions {
  /** Continue this earlier job (its folder holds the checkpoints). */
  resumeFrom?: number;
  /** Called with each metrics batch; return true to cancel the job (simulates a user cancel). */
  onMetrics?: (points: MetricPoint[]) => boolean | void;
  log?: (line: string) => void;
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
  const info = ws.db
    .prepare("INSERT INTO jobs (kind, title, status, params, parent_job_id, started_at) VALUES (?, ?, 'running', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
    .run(spec.kind, spec.title(params), JSON.stringify(params), o.resumeFrom ?? null);
  const jobId = Number(info.lastInsertRowid);
  const jobDir = ws.jobDir(jobId);
  mkdirSync(jobDir, { recursive: true });
  const controller = new AbortController();
  const insertMetric = ws.db.prepare('INSERT INTO metrics (job_id, step, epoch, name, value) VALUES (?, ?, ?, ?, ?)');
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
      ws.transaction(() => {
        for (const p of points) insertMetric.run(jobId, p.step, p.epoch, p.name, p.value);
      });
      if (o.onMetrics?.(points)) controller.abort();
    },
    record: (type, payload) => Promise.resolve(ws.transaction(() => spec.onRecord?.({ ws, jobId, jobDir }, type, payload))),
    readDb: () => ws.db,
  };
  const finish = (status: string, result: unknown, error: string | null): void => {
    ws.db
      .prepare("UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?")
      .run(status, result === null ? null : JSON.stringify(result), error, jobId);
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
  }
}
