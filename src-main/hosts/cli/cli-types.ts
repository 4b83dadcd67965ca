import type { Command } from 'commander';
import type { CallName, Req, Res, JobSummary } from '../../common/contract/index.ts';

/** `--backend` and `--on` of a job command, as typed. */
export interface JobRunOptions {
  backend?: string;
  /** local, slurm or slurm:<profile> (job-options.ts resolves it). */
  on?: string;
}

/** What a CLI command gets: the same contract calls the UI makes, plus output helpers. */
export interface CliRuntime {
  call<K extends CallName>(name: K, request: Req<K>): Promise<Res<K>>;
  /** True under --json: print exactly one JSON document on stdout and nothing else. */
  readonly json: boolean;
  /** Prints `human()` normally, or `data` as the one JSON document under --json. */
  output(data: unknown, human: () => string): void;
  /** Human-only progress lines go to stderr, so stdout stays clean. */
  info(line: string): void;
  /** Submit a job and wait for it, showing progress on stderr; throws when it fails. */
  runJob(kind: string, params: unknown, options?: JobRunOptions): Promise<JobSummary & { result: unknown }>;
  /** Wait for a job already submitted (e.g. by `jobs.resume`) as `runJob` does; throws when it fails. */
  followJob(id: number): Promise<JobSummary & { result: unknown }>;
}

/** Each domain adds its commands to the program through one function like this. */
export type RegisterCommands = (program: Command, runtime: () => Promise<CliRuntime>) => void;
