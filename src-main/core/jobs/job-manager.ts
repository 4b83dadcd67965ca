import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { z } from 'zod';
import { ApiError } from '../../common/contract/errors.ts';
import { canonicalJobKind } from '../../common/contract/kinds.ts';
import type { BackendName, JobDetail, JobProgress, JobSummary, MetricPoint, RunOn } from '../../common/contract/index.ts';
import type { AnyJobSpec, JobRecordContext, JobSpecLookup } from './spec.ts';
import type { EventBus } from '../event-bus.ts';
import type { Workspace } from '../workspace.ts';
import { forkLauncher } from './fork-launcher.ts';
import { toDetail, toSummary } from './job-rows.ts';
import * as store from './job-store.ts';
import { removeOrphanFolders, type OrphanFolder } from '../orphans.ts';
import type { FromJob, JobProcessHandle, JobProcessLauncher, RemoteJobHandle, RemoteJobHooks, RemoteLauncher, StartJob } from './protocol.ts';

export interface JobManagerOptions {
  /** Every job kind by name (src-main/app/job-kinds.ts); core itself knows no kind. */
  specs: JobSpecLookup;
  /** How many 'compute' jobs run at once (default 1: one GPU, or all CPU cores for one job). */
  computeConcurrency?: number;
  launcher?: JobProcessLauncher;
  /** Seconds a cancelled job gets to stop by itself before its process is killed. */
  cancelGraceSeconds?: number;
  /** Launchers for jobs that run elsewhere, by the key of their `runOn` (`slurm`). */
  remote?: { slurm?: RemoteLauncher };
}

/** Where and how a job is queued, beside its params. */
export interface SubmitOptions {
  backend?: BackendName | 'auto';
  parentJobId?: number;
  runOn?: RunOn;
  sweepId?: string;
}

/** Sets the value at a dotted path ("prune.rate") of a copy of `params`. */
export function withField(params: unknown, field: string, value: unknown): unknown {
  const keys = field.split('.');
  const copy = structuredClone(params ?? {}) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  keys.slice(0, -1).forEach((k) => {
    const next = at[k];
    if (next === undefined) at[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ApiError('invalid_request', `sweep.field: "${field}" goes through ${k}, which is not an object in the params.`, 'sweep.field');
    }
    at = at[k] as Record<string, unknown>;
  });
  at[keys.at(-1)!] = value;
  return copy;
}

interface Running {
  id: number;
  spec: AnyJobSpec;
  handle: JobProcessHandle;
  cancelRequested: boolean;
  finished: boolean;
  killTimer: NodeJS.Timeout | null;
  lastProgressWrite: number;
  /** The newest progress when the throttle skipped its database write; written when the job ends. */
  unsavedProgress: JobProgress | null;
  /** Set for a job that runs elsewhere (Slurm): closing the host detaches it instead of killing it. */
  remote: RemoteJobHandle | null;
}

const IO_CONCURRENCY = 2;
const STOPPED = 'The app stopped while this job was running.';

function now(): string {
  return new Date().toISOString();
}

/** Formats a zod error as "params.field: message" so the user sees which field is wrong. */
export function describeZodError(error: z.ZodError, prefix: string): ApiError {
  const issue = error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ApiError('invalid_request', `${field || 'request'}: ${issue?.message ?? 'invalid value'}`, field || undefined);
}

/**
 * Queues jobs, runs each in its own process, and is the only place job state is
 * written. Job processes talk back through messages; every database write they
 * cause happens here, in the writer process.
 */
export class JobManager {
  private readonly running = new Map<number, Running>();
  private readonly waiters = new Map<number, ((summary: JobSummary) => void)[]>();
  private computeConcurrency: number;
  private readonly launcher: JobProcessLauncher;
  private readonly cancelGraceMs: number;
  private closed = false;
  /**
   * Set when close() has returned: the workspace may be closed from then on, so nothing a job
   * process still delivers is applied. A killed process's pipes can hand over their last output
   * after its exit (or a child it left behind still holds them); writing that into a closed
   * database threw from a stream listener, an uncaught error in the host.
   */
  private released = false;
  private readonly specs: JobSpecLookup;
  /** Data folders of jobs killed in an earlier session, removed at start (the host says so once). */
  readonly cleanedAtStart: OrphanFolder[];

  constructor(
    private readonly ws: Workspace,
    private readonly events: EventBus,
    options: JobManagerOptions,
  ) {
    this.specs = options.specs;
    this.computeConcurrency = options.computeConcurrency ?? 1;
    this.launcher = options.launcher ?? forkLauncher;
    this.cancelGraceMs = (options.cancelGraceSeconds ?? 10) * 1000;
    this.remote = options.remote ?? {};
    this.recoverAfterRestart();
    this.cleanedAtStart = removeOrphanFolders(this.ws.db, this.ws.dir);
  }

  private readonly remote: { slurm?: RemoteLauncher };

  /**
   * Jobs that were running when the app last stopped did not finish: say so, and
   * offer resume. Jobs running on Slurm ran on without the host: they are
   * followed again from their stored Slurm id and journal offsets.
   */
  private recoverAfterRestart(): void {
    const lost: number[] = [];
    for (const id of store.runningJobIds(this.ws.db)) {
      const row = this.row(id);
      const runOn = row.run_on ? (JSON.parse(row.run_on) as RunOn) : 'local';
      const spec = this.specs.get(row.kind);
      const launcher = runOn === 'local' ? undefined : this.remote.slurm;
      const handle =
        runOn !== 'local' && launcher && spec
          ? launcher.attach(runOn.slurm, { id, jobDir: this.ws.jobDir(id), state: row.slurm ? JSON.parse(row.slurm) : null, offsets: row.slurm_offsets ? JSON.parse(row.slurm_offsets) : null }, this.remoteHooks)
          : null;
      if (!handle || !spec) {
        lost.push(id);
        continue;
      }
      this.log(id, 'info', 'The workbench restarted; following the Slurm job again from its job folder.');
      this.wire(this.newRunning(id, spec, handle, handle));
    }
    store.markInterrupted(this.ws.db, lost, STOPPED);
  }

  private readonly remoteHooks: RemoteJobHooks = {
    onState: (id, state) => {
      store.saveSlurmInfo(this.ws.db, id, state);
      this.events.emit('job.updated', this.summary(id));
    },
    onOffsets: (id, offsets) => store.saveSlurmOffsets(this.ws.db, id, offsets),
  };

  private remoteLauncher(runOn: RunOn): { launcher: RemoteLauncher; target: string } | null {
    if (runOn === 'local') return null;
    const launcher = this.remote.slurm;
    if (!launcher) throw new ApiError('invalid_request', 'This host cannot run jobs on Slurm (no Slurm launcher).', 'runOn');
    return { launcher, target: runOn.slurm };
  }

  /**
   * The checks of `runOn` that ask the cluster (sbatch on PATH, the partition):
   * calls that queue jobs await this before `submit`, so bad input is refused
   * before anything is queued.
   */
  async checkRunOn(runOn: RunOn | undefined): Promise<void> {
    const remote = this.remoteLauncher(runOn ?? 'local');
    if (remote) await remote.launcher.check(remote.target);
  }

  /**
   * One job per value of `field`, grouped as one sweep: on this machine they
   * queue one after another; on Slurm they are submitted as one job array.
   * Every member is validated before any is queued.
   */
  sweep(requestedKind: string, rawParams: unknown, sweep: { field: string; values: unknown[] }, options: Omit<SubmitOptions, 'sweepId' | 'parentJobId'> = {}): { sweepId: string; jobs: JobSummary[] } {
    return this.submitGroup(
      requestedKind,
      sweep.values.map((value) => withField(rawParams, sweep.field, value)),
      options,
      (i, message) => `sweep value ${i + 1} (${sweep.field} = ${JSON.stringify(sweep.values[i])}): ${message}`,
    );
  }

  /**
   * Several jobs of one kind queued together as one sweep (one Slurm array), all
   * validated before any is queued: a sweep, or the runs of a reproduction.
   * `describe` prefixes a member's refusal so it names the member.
   */
  submitGroup(
    requestedKind: string,
    paramsList: unknown[],
    options: Omit<SubmitOptions, 'sweepId' | 'parentJobId'> = {},
    describe: (index: number, message: string) => string = (i, m) => `job ${i + 1}: ${m}`,
  ): { sweepId: string; jobs: JobSummary[] } {
    const kind = canonicalJobKind(requestedKind);
    const spec = this.spec(kind);
    const members = paramsList.map((raw, i) => {
      const parsed = spec.params.safeParse(raw);
      if (!parsed.success) {
        const err = describeZodError(parsed.error, 'params');
        throw new ApiError('invalid_request', describe(i, err.message), err.field);
      }
      return parsed.data as unknown;
    });
    const sweepId = `sw-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
    // All members go in at once so the scheduler sees the whole sweep (one array on Slurm).
    const jobs = this.ws.transaction(() => members.map((params) => this.insert(kind, spec, params, { ...options, sweepId })));
    for (const id of jobs) this.events.emit('job.updated', this.summary(id));
    this.events.emit('data.changed', { what: 'jobs' });
    this.schedule();
    return { sweepId, jobs: jobs.map((id) => this.summary(id)) };
  }

  private spec(kind: string): AnyJobSpec {
    const spec = this.specs.get(kind);
    if (!spec) {
      const known = [...this.specs.keys()].sort().join(', ');
      throw new ApiError('invalid_request', `Unknown job kind "${kind}" (known: ${known || 'none'}).`, 'kind');
    }
    return spec;
  }

  private insert(kind: string, spec: AnyJobSpec, params: unknown, options: SubmitOptions): number {
    spec.preflight?.(params, this.ws);
    const remote = this.remoteLauncher(options.runOn ?? 'local');
    remote?.launcher.checkSync(remote.target, { kind, params, parentJobId: options.parentJobId ?? null });
    const backend = options.backend && options.backend !== 'auto' ? options.backend : null;
    return store.insertJob(this.ws.db, {
      kind,
      title: spec.title(params, this.ws),
      params,
      backend,
      parentJobId: options.parentJobId ?? null,
      runOn: options.runOn && options.runOn !== 'local' ? options.runOn : null,
      sweepId: options.sweepId ?? null,
    });
  }

  /** Starts queued jobs (also those left queued by a previous session). */
  start(): void {
    this.schedule();
  }

  setComputeConcurrency(n: number): void {
    this.computeConcurrency = n;
    this.schedule();
  }

  submit(requestedKind: string, rawParams: unknown, options: SubmitOptions = {}): JobSummary {
    const kind = canonicalJobKind(requestedKind);
    const spec = this.spec(kind);
    const parsed = spec.params.safeParse(rawParams);
    if (!parsed.success) throw describeZodError(parsed.error, 'params');
    const id = this.insert(kind, spec, parsed.data, options);
    const summary = this.summary(id);
    this.events.emit('job.updated', summary);
    this.events.emit('data.changed', { what: 'jobs' });
    this.schedule();
    return this.summary(summary.id);
  }

  /** A new job that continues `id` from the checkpoints in its folder; where it ran, unless `runOn` says otherwise. */
  resume(id: number, runOn?: RunOn): JobSummary {
    const row = this.row(id);
    const spec = this.specs.get(row.kind);
    if (!spec?.resumable) throw new ApiError('conflict', `Jobs of kind ${row.kind} cannot be resumed.`);
    if (!['interrupted', 'cancelled', 'failed'].includes(row.status)) {
      throw new ApiError('conflict', `Job ${id} is ${row.status}; only interrupted, cancelled or failed jobs can be resumed.`);
    }
    // A second resume would branch a second run off the same checkpoints.
    if (row.continued_by != null) throw new ApiError('conflict', `Job ${id} was already resumed as job ${row.continued_by}; resume that one instead.`);
    return this.submit(row.kind, JSON.parse(row.params), {
      backend: (row.backend as BackendName | null) ?? 'auto',
      parentJobId: id,
      runOn: runOn ?? (row.run_on ? (JSON.parse(row.run_on) as RunOn) : 'local'),
    });
  }

  cancel(id: number): JobSummary {
    const row = this.row(id);
    if (row.status === 'queued') {
      store.finishJob(this.ws.db, id, 'cancelled');
      this.finish(id);
      return this.summary(id);
    }
    const running = this.running.get(id);
    if (row.status !== 'running' || !running) {
      throw new ApiError('conflict', `Job ${id} is ${row.status}: only queued or running jobs can be cancelled.`);
    }
    if (!running.cancelRequested) {
      running.cancelRequested = true;
      running.handle.send({ type: 'cancel' });
      this.log(id, 'info', 'Cancel requested.');
      running.killTimer = setTimeout(() => {
        this.log(id, 'warn', `The job did not stop within ${this.cancelGraceMs / 1000} s; its process was killed.`);
        running.handle.kill();
      }, this.cancelGraceMs);
    }
    return this.summary(id);
  }

  /** Resolves when the job reaches a final state. */
  waitFor(id: number): Promise<JobSummary> {
    const summary = this.summary(id);
    if (!['queued', 'running'].includes(summary.status)) return Promise.resolve(summary);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  summary(id: number): JobSummary {
    return toSummary(this.row(id), this.specs);
  }

  /** One job with its params, result and log. */
  detail(id: number): JobDetail {
    return toDetail(this.ws.db, this.row(id), this.specs);
  }

  list(filter: { kind?: string; status?: string; sweepId?: string; limit?: number } = {}): JobSummary[] {
    const kind = filter.kind === undefined ? undefined : canonicalJobKind(filter.kind);
    return store.jobRows(this.ws.db, { ...filter, kind }).map((row) => toSummary(row, this.specs));
  }

  /**
   * Stops every job process; their jobs become 'interrupted' and can be resumed
   * later. Jobs on Slurm run on: they stay 'running' and the next host re-attaches them.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Remote jobs that already reported their end are leaving the cluster: wait a
    // little so their row shows how the scheduler ended them.
    const leaving = [...this.running.values()].filter((r) => r.remote && r.finished);
    if (leaving.length > 0) {
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(leaving.map((r) => new Promise<void>((resolve) => r.handle.onExit(() => resolve())))),
        new Promise((r) => (wait = setTimeout(r, 15_000))),
      ]);
      clearTimeout(wait);
    }
    for (const r of [...this.running.values()]) {
      if (!r.remote) continue;
      r.remote.detach();
      if (r.killTimer) clearTimeout(r.killTimer);
      this.running.delete(r.id);
    }
    // Taken before the kills: each exit takes its job out of `running` (onExit), and those jobs were
    // left 'running' in the database until the next start found them.
    const stopping = [...this.running.keys()];
    const exits = [...this.running.values()].map(
      (r) =>
        new Promise<void>((resolve) => {
          r.handle.onExit(() => resolve());
          r.cancelRequested = true;
          r.handle.kill();
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    store.markInterrupted(this.ws.db, stopping, STOPPED);
    this.running.clear();
    this.released = true;
  }

  private row(id: number): store.JobRow {
    const row = store.jobRow(this.ws.db, id);
    if (!row) throw new ApiError('not_found', `There is no job ${id}.`, 'id');
    return row;
  }

  private schedule(): void {
    if (this.closed) return;
    const remoteGroups = new Map<string, { id: number; spec: AnyJobSpec; runOn: { slurm: string } }[]>();
    for (const job of store.queuedJobs(this.ws.db)) {
      const spec = this.specs.get(job.kind);
      if (!spec) {
        store.finishJob(this.ws.db, job.id, 'failed', { error: `This version of the app has no job kind "${job.kind}".` });
        this.finish(job.id);
        continue;
      }
      if (job.run_on) {
        // The cluster queues and limits them: every one goes now; a sweep's members together.
        const runOn = JSON.parse(job.run_on) as { slurm: string };
        const key = job.sweep_id ? `${job.sweep_id}|${job.run_on}` : `job-${job.id}`;
        remoteGroups.set(key, [...(remoteGroups.get(key) ?? []), { id: job.id, spec, runOn }]);
        continue;
      }
      const busy = [...this.running.values()].filter((r) => r.spec.resource === spec.resource && !r.remote).length;
      const limit = spec.resource === 'compute' ? this.computeConcurrency : IO_CONCURRENCY;
      if (busy < limit) this.launch(job.id, spec);
    }
    for (const group of remoteGroups.values()) this.launchRemote(group);
  }

  private startMessage(id: number): StartJob {
    const row = this.row(id);
    const jobDir = this.ws.jobDir(id);
    mkdirSync(jobDir, { recursive: true });
    const parent = row.parent_job_id;
    return {
      type: 'start',
      jobId: id,
      kind: row.kind,
      params: JSON.parse(row.params),
      workspaceDir: this.ws.dir,
      jobDir,
      resume: parent ? { fromJobId: parent, fromJobDir: this.ws.jobDir(parent) } : null,
    };
  }

  private jobEnv(id: number): Record<string, string> {
    const row = this.row(id);
    const env: Record<string, string> = {};
    if (row.backend) env.WORKBENCH_BACKEND = row.backend;
    return env;
  }

  private newRunning(id: number, spec: AnyJobSpec, handle: JobProcessHandle, remote: RemoteJobHandle | null): Running {
    return { id, spec, handle, cancelRequested: false, finished: false, killTimer: null, lastProgressWrite: 0, unsavedProgress: null, remote };
  }

  private launch(id: number, spec: AnyJobSpec): void {
    const start = this.startMessage(id);
    const handle = this.launcher(this.jobEnv(id));
    const running = this.newRunning(id, spec, handle, null);
    store.markRunning(this.ws.db, id);
    this.events.emit('job.updated', this.summary(id));
    this.wire(running);
    handle.send(start);
  }

  /** Jobs for one remote target, submitted together (one Slurm job, or one array for a sweep). */
  private launchRemote(group: { id: number; spec: AnyJobSpec; runOn: { slurm: string } }[]): void {
    const first = group[0]!;
    const remote = this.remoteLauncher(first.runOn)!;
    const starts = group.map((g) => this.startMessage(g.id));
    for (const g of group) {
      store.saveSlurmInfo(this.ws.db, g.id, { profile: g.runOn.slurm, slurmJobId: null, phase: 'submitting', reason: null, node: null, elapsedSeconds: null, limitSeconds: null });
      store.markRunning(this.ws.db, g.id);
    }
    let handles: RemoteJobHandle[];
    try {
      handles = remote.launcher.launch(remote.target, starts, this.jobEnv(first.id), this.remoteHooks);
    } catch (err) {
      // E.g. the profile was removed while the job waited: the job fails saying so, the host goes on.
      for (const g of group) {
        store.finishJob(this.ws.db, g.id, 'failed', { error: (err as Error).message });
        this.finish(g.id);
      }
      return;
    }
    group.forEach((g, i) => {
      const running = this.newRunning(g.id, g.spec, handles[i]!, handles[i]!);
      this.wire(running);
      this.events.emit('job.updated', this.summary(g.id));
    });
  }

  /** Listens to a job's process (local or remote) and applies what it says. */
  private wire(running: Running): void {
    const { id, handle } = running;
    this.running.set(id, running);
    handle.onMessage((message) => {
      if (this.released) return;
      try {
        this.onMessage(running, message);
      } catch (err) {
        // A failing write (e.g. a record rejected by a constraint) fails the job, not the host.
        this.fail(running, `The workbench could not store the job's output: ${(err as Error).message}`);
        handle.kill();
      }
    });
    handle.onOutput((stream, line) => {
      if (!this.released) this.log(id, stream === 'stderr' ? 'warn' : 'info', line);
    });
    handle.onExit((code, signal) => {
      if (!this.released) this.onExit(running, code, signal);
    });
  }

  private onMessage(running: Running, message: FromJob): void {
    const { id } = running;
    switch (message.type) {
      case 'progress': {
        const progress: JobProgress = { fraction: null, step: '', throughput: null, etaSeconds: null, ...message.progress };
        // The UI gets every update; the database a few per second, enough to survive a crash.
        const t = Date.now();
        if (t - running.lastProgressWrite > 500) {
          running.lastProgressWrite = t;
          running.unsavedProgress = null;
          store.saveProgress(this.ws.db, id, JSON.stringify(progress));
        } else {
          running.unsavedProgress = progress;
        }
        this.events.emit('job.progress', { id, progress });
        break;
      }
      case 'log':
        this.log(id, message.level, message.line);
        break;
      case 'metrics':
        this.insertMetrics(id, message.points);
        break;
      case 'engine':
        store.saveEngine(this.ws.db, id, message.engine);
        this.events.emit('job.updated', this.summary(id));
        break;
      case 'record': {
        const ctx = this.recordContext(id);
        try {
          const value = running.spec.onRecord ? this.ws.transaction(() => running.spec.onRecord!(ctx, message.recordType, message.payload)) : undefined;
          running.handle.send({ type: 'record-result', requestId: message.requestId, ok: true, value });
        } catch (err) {
          running.handle.send({ type: 'record-result', requestId: message.requestId, ok: false, message: (err as Error).message });
        }
        break;
      }
      case 'done': {
        const ctx = this.recordContext(id);
        this.ws.transaction(() => {
          this.saveProgress(running);
          running.spec.onComplete?.(ctx, message.result);
          store.finishJob(this.ws.db, id, 'succeeded', { result: message.result });
        });
        running.finished = true;
        // Committed: lists of what the job changed may reload now.
        for (const what of running.spec.changes ?? []) this.events.emit('data.changed', { what });
        this.finish(id);
        break;
      }
      case 'failed':
        if (running.cancelRequested) this.markCancelled(running);
        // Stopped without the user asking (a Slurm time limit, a node failure): resumable.
        else if (message.interrupted || message.cancelled) this.markInterrupted(running, message.message);
        else this.fail(running, message.message);
        break;
    }
  }

  private onExit(running: Running, code: number | null, signal: string | null): void {
    if (running.killTimer) clearTimeout(running.killTimer);
    this.running.delete(running.id);
    if (!running.finished && !this.closed) {
      if (running.cancelRequested) this.markCancelled(running);
      else this.fail(running, `The job process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}).`);
    }
    this.schedule();
  }

  private markCancelled(running: Running): void {
    if (running.finished) return;
    running.finished = true;
    this.saveProgress(running);
    store.finishJob(this.ws.db, running.id, 'cancelled');
    this.finish(running.id);
  }

  private markInterrupted(running: Running, message: string): void {
    if (running.finished) return;
    running.finished = true;
    this.saveProgress(running);
    store.markInterrupted(this.ws.db, [running.id], message);
    this.log(running.id, 'warn', `${message} The job can be resumed from its last checkpoint.`);
    this.finish(running.id);
  }

  private fail(running: Running, message: string): void {
    if (running.finished) return;
    running.finished = true;
    this.saveProgress(running);
    store.finishJob(this.ws.db, running.id, 'failed', { error: message });
    this.log(running.id, 'error', message);
    this.finish(running.id);
  }

  /** A job's stored progress is its last report, not the last one the throttle happened to write (a finished import showed 0%). */
  private saveProgress(running: Running): void {
    if (!running.unsavedProgress) return;
    store.saveProgress(this.ws.db, running.id, JSON.stringify(running.unsavedProgress));
    running.unsavedProgress = null;
  }

  private finish(id: number): void {
    const summary = this.summary(id);
    this.events.emit('job.updated', summary);
    this.events.emit('data.changed', { what: 'jobs' });
    for (const resolve of this.waiters.get(id) ?? []) resolve(summary);
    this.waiters.delete(id);
  }

  private recordContext(id: number): JobRecordContext {
    return { ws: this.ws, jobId: id, jobDir: this.ws.jobDir(id) };
  }

  private log(id: number, level: 'info' | 'warn' | 'error', line: string): void {
    const ts = now();
    store.insertLog(this.ws.db, id, ts, level, line);
    this.events.emit('job.log', { id, ts, level, line });
  }

  private insertMetrics(id: number, points: MetricPoint[]): void {
    store.insertMetrics(this.ws.db, id, points);
    this.events.emit('job.metrics', { id, points });
  }
}
