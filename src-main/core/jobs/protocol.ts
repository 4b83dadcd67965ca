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
  | { type: 'failed'; message: string; cancelled: boolean };

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
