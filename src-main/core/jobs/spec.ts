import type { z } from 'zod';
import type Database from 'better-sqlite3';
import type { EventMap, JobProgress, MetricPoint } from '../../common/contract/index.ts';
import type { Workspace } from '../workspace.ts';

/** What a running job sees. It lives in the job process and never writes the database. */
export interface JobRunContext<P> {
  jobId: number;
  params: P;
  workspaceDir: string;
  /** `artifacts/jobs/<id>/`, created before the job starts; checkpoints and outputs go here. */
  jobDir: string;
  /** Aborted when the user cancels; long loops check it between steps. */
  signal: AbortSignal;
  /** Set when this job continues another one (resume after cancel, crash or restart). */
  resume: { fromJobId: number; fromJobDir: string } | null;
  progress(update: Partial<JobProgress>): void;
  log(line: string, level?: 'info' | 'warn' | 'error'): void;
  /** Streamed to the writer process, stored in the metrics table, pushed to the UI. */
  metrics(points: MetricPoint[]): void;
  /**
   * Ask the writer process to commit something now (a checkpoint artifact, a
   * batch of rows) through the spec's `onRecord`; resolves with what it returned.
   */
  record(type: string, payload: unknown): Promise<unknown>;
  /** A read-only connection to the workspace database (WAL lets it read while the writer writes). */
  readDb(): Database.Database;
}

/** Default export of a runner module: the job's work, in the job process. */
export type JobRunner<P, R> = (ctx: JobRunContext<P>) => Promise<R>;

export interface JobRecordContext {
  ws: Workspace;
  jobId: number;
  jobDir: string;
}

/**
 * A kind of job, as the writer process knows it. Spec files stay light: they
 * import no TF.js and no heavy module; `load` is only called in the job process.
 */
export interface JobSpec<P = unknown, R = unknown> {
  kind: string;
  params: z.ZodType<P>;
  /** A one-line title for lists; `ws` lets it name things (a dataset) by their names. */
  title(params: P, ws?: Workspace): string;
  /** 'compute' jobs share the compute queue (concurrency setting, default 1); 'io' jobs run beside them. */
  resource: 'compute' | 'io';
  /** Whether a new job can continue this one from the checkpoints in its job folder. */
  resumable: boolean;
  /** Checks against the workspace before the job is queued; throw ApiError naming the field. */
  preflight?(params: P, ws: Workspace): void;
  load(): Promise<{ default: JobRunner<P, R> }>;
  /** Runs in the writer process inside a transaction for each `ctx.record(...)`. */
  onRecord?(ctx: JobRecordContext, type: string, payload: unknown): unknown;
  /** Runs in the writer process, in the same transaction that marks the job succeeded. */
  onComplete?(ctx: JobRecordContext, result: R): void;
  /**
   * What a successful job of this kind changed through `onComplete` (a model saved, a model's
   * metrics updated): `data.changed` names each once that transaction committed, so lists follow
   * the data rather than a list of job kinds.
   */
  changes?: readonly EventMap['data.changed']['what'][];
}

/** Keeps the parameter type when specs are put into one heterogeneous list. */
export function defineJob<P, R>(spec: JobSpec<P, R>): JobSpec<P, R> {
  return spec;
}

// The registry stores specs of many parameter types side by side; each spec
// validates its own params with its zod schema before use, so `any` is confined
// to the list type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobSpec = JobSpec<any, any>;

/** Every job kind by name: the registry the app composes (src-main/app/job-kinds.ts) and hands to the job manager. */
export type JobSpecLookup = ReadonlyMap<string, AnyJobSpec>;
