import type { EngineInfo, JobProgress, MetricPoint } from '../../common/contract/index.ts';

/** Messages between the writer process and a job process (structured clone over IPC). */
export type ToJob =
  | {
      type: 'start';
      jobId: number;
      kind: string;
      params: unknown;
      workspaceDir: string;
      jobDir: string;
      resume: { fromJobId: number; fromJobDir: string } | null;
    }
  | { type: 'cancel' }
  | { type: 'record-result'; requestId: number; ok: true; value: unknown }
  | { type: 'record-result'; requestId: number; ok: false; message: string };

export type FromJob =
  | { type: 'progress'; progress: Partial<JobProgress> }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; line: string }
  | { type: 'metrics'; points: MetricPoint[] }
  | { type: 'engine'; engine: EngineInfo }
  | { type: 'record'; requestId: number; recordType: string; payload: unknown }
  | { type: 'done'; result: unknown }
  /**
   * `cancelled`: it stopped because it was told to (a cancel, or a scheduler's
   * signal); `interrupted`: its scheduler stopped it (time limit, node failure)
   * and it can be resumed from its checkpoints.
   */
  | { type: 'failed'; message: string; cancelled: boolean; interrupted?: boolean };

/** The part of a child process the manager uses: Node's ChildProcess and Electron's UtilityProcess both fit. */
export interface JobProcessHandle {
  send(message: ToJob): void;
  onMessage(listener: (message: FromJob) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Lines the process printed outside the protocol (library warnings, crashes). */
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

/** Starts a job process; the Electron host swaps in utilityProcess, Node hosts use child_process.fork. */
export type JobProcessLauncher = (env: Record<string, string>) => JobProcessHandle;

export type StartJob = Extract<ToJob, { type: 'start' }>;

/** A job running elsewhere (a cluster): the manager can stop following it without stopping it. */
export interface RemoteJobHandle extends JobProcessHandle {
  /** Stop following; the job runs on and `RemoteLauncher.attach` picks it up again. */
  detach(): void;
}

/** What a remote launcher reports about a job while it runs, for the manager to store. */
export interface RemoteJobHooks {
  /** Its scheduler state (stored on the job row as shown to the user). */
  onState(jobId: number, state: unknown): void;
  /** How far its message journal was applied (stored; the restart point for `attach`). */
  onOffsets(jobId: number, offsets: unknown): void;
}

/**
 * Runs jobs somewhere else than this machine, e.g. on a Slurm cluster
 * (src-main/slurm/launcher.ts). `target` is what the job's `runOn` names
 * there (a profile). Core knows no scheduler: the app hands these in by key.
 */
export interface RemoteLauncher {
  /** Before a job is queued: throws an ApiError naming the field (unknown profile, no sbatch, unknown partition). */
  check(target: string): Promise<void>;
  /**
   * The part of `check` that needs no external command (the profile exists;
   * given the job, what it reads can be seen where it runs); used by synchronous submits.
   */
  checkSync(target: string, job?: { kind: string; params: unknown; parentJobId: number | null }): void;
  /** Starts the jobs; several start messages are one group (a sweep) submitted together. One handle per job, in order. */
  launch(target: string, starts: StartJob[], env: Record<string, string>, hooks: RemoteJobHooks): RemoteJobHandle[];
  /** Follows a job started before the host restarted, from its stored state and offsets; null when it cannot. */
  attach(target: string, job: { id: number; jobDir: string; state: unknown; offsets: unknown }, hooks: RemoteJobHooks): RemoteJobHandle | null;
}
