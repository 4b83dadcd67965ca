/**
 * A Slurm job as the host should show and treat it: pending (with Slurm's
 * reason), running (node, elapsed, limit), or ended with a cause. While Slurm
 * remembers the job its queue says which; after that (MinJobAge) only the files
 * the job left in its folder do: the batch shell's end state and its attempts.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SlurmTools } from './commands.ts';
import { PROBE_MISSING_EXIT, type SlurmJobFiles } from './job-folder.ts';
import { readJobDetail, readQueue, type SlurmJobDetail, type SlurmQueueRow } from './queue.ts';

/** What the batch shell writes when the workload has ended (see script.ts). */
export interface SlurmEndState {
  attempt: number;
  slurmJobId: string;
  node: string;
  /** The workload's exit code (128 + n when a signal ended it). */
  exitCode: number;
  /** Signals the batch shell received and passed on, in order: USR2 (time-limit warning), TERM (cancel, time limit), INT. */
  signals: string[];
  finishedAt: string;
}

export interface SlurmAttempt {
  attempt: number;
  slurmJobId: string;
  node: string;
  startedAt: string;
}

/**
 * Why a job ended, from the workbench's point of view:
 * - completed: the workload exited 0 (its journal says whether it succeeded);
 * - failed: it exited non-zero by itself;
 * - cancelled: scancel (Slurm says CANCELLED);
 * - interrupted: the time limit, preemption or a node failure stopped it; resumable;
 * - not-visible: the node did not see the job folder (not on shared storage);
 * - lost: neither Slurm nor the folder knows how it ended (forgotten, node lost).
 */
export type SlurmEndCause = 'completed' | 'failed' | 'cancelled' | 'interrupted' | 'not-visible' | 'lost';

export type SlurmJobView =
  | { phase: 'pending'; slurmJobId: string; reason: string | null; limitSeconds: number | null }
  | { phase: 'running'; slurmJobId: string; slurmState: string; node: string | null; elapsedSeconds: number | null; limitSeconds: number | null }
  | {
      phase: 'ended';
      slurmJobId: string;
      cause: SlurmEndCause;
      /** One sentence for the job's log and error. */
      message: string;
      /** Slurm's final state while it still remembers the job (TIMEOUT, CANCELLED...). */
      slurmState: string | null;
      end: SlurmEndState | null;
    };

function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    // Written whole and renamed, so a broken file is a damaged one: treat as absent.
    return null;
  }
}

export function readEndState(files: SlurmJobFiles): SlurmEndState | null {
  return readJson<SlurmEndState>(files.end);
}

export function readAttempts(files: SlurmJobFiles): SlurmAttempt[] {
  if (!existsSync(files.attempts)) return [];
  const out: SlurmAttempt[] = [];
  for (const line of readFileSync(files.attempts, 'utf8').split('\n')) {
    try {
      if (line.trim()) out.push(JSON.parse(line) as SlurmAttempt);
    } catch {
      // A line torn by a node crash: the attempts before and after it still count.
    }
  }
  return out;
}

/** Linux signal numbers of the signals the batch shell traps (scontrol's ExitCode=code:signal). */
const SIGNAL_NUMBERS = { INT: 2, USR2: 12, TERM: 15 } as const;

const RUNNING_STATES = new Set(['RUNNING', 'CONFIGURING', 'SUSPENDED', 'STOPPED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);
const PENDING_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const INTERRUPTED_STATES = new Set(['TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);

/** The cause of an ended job from what is known; exported for its table test. */
export function endCause(
  slurmJobId: string,
  end: SlurmEndState | null,
  slurm: { state: string; reason: string | null; exitCode: number | null; exitSignal?: number | null } | null,
  started: boolean,
  jobRootHint: string,
): { cause: SlurmEndCause; message: string } {
  const state = slurm?.state ?? null;
  // A batch shell killed by a signal before it ran anything is reported as a
  // launch failure too: the time-limit warning (USR2) or a cancel that came as
  // the job started. That is a stop, not a folder the node cannot see.
  const launchSignal = slurm?.reason === 'JobLaunchFailure' && !end && state !== 'CANCELLED' ? (slurm.exitSignal ?? 0) : 0;
  if (launchSignal === SIGNAL_NUMBERS.USR2 || launchSignal === SIGNAL_NUMBERS.TERM || launchSignal === SIGNAL_NUMBERS.INT) {
    const name = launchSignal === SIGNAL_NUMBERS.USR2 ? 'the time-limit warning (USR2)' : `signal ${launchSignal}`;
    return { cause: 'interrupted', message: `Slurm job ${slurmJobId} got ${name} as it started, before its job process ran; it can be resumed.` };
  }
  if (slurm?.reason === 'JobLaunchFailure' && state !== 'CANCELLED') {
    return {
      cause: 'not-visible',
      message: `Slurm could not start job ${slurmJobId} on its node (JobLaunchFailure): usually the node cannot open the job folder ${jobRootHint}; job folders must be on storage the nodes share (the profile's jobRoot).`,
    };
  }
  if (!end && slurm?.exitCode === PROBE_MISSING_EXIT) {
    return {
      cause: 'not-visible',
      message: `The node of Slurm job ${slurmJobId} did not see the job folder ${jobRootHint} the workbench wrote (its probe file was missing there): job folders must be on storage the nodes share (the profile's jobRoot).`,
    };
  }
  if (state === 'CANCELLED') {
    return { cause: 'cancelled', message: started ? `Slurm job ${slurmJobId} was cancelled while running.` : `Slurm job ${slurmJobId} was cancelled before it started.` };
  }
  if (state && INTERRUPTED_STATES.has(state)) {
    const why = state === 'TIMEOUT' ? 'reached its time limit' : state === 'PREEMPTED' ? 'was preempted' : `ended with ${state}`;
    return { cause: 'interrupted', message: `Slurm job ${slurmJobId} ${why}; it can be resumed from its last checkpoint.` };
  }
  if (end) {
    if (end.signals.includes('USR2')) {
      return { cause: 'interrupted', message: `Slurm job ${slurmJobId} stopped on the time-limit warning on node ${end.node}; it can be resumed from its last checkpoint.` };
    }
    if (end.exitCode === 0) return { cause: 'completed', message: `Slurm job ${slurmJobId} completed on node ${end.node}.` };
    if (end.signals.includes('TERM')) {
      return { cause: 'interrupted', message: `Slurm job ${slurmJobId} was stopped by Slurm on node ${end.node} (exit code ${end.exitCode}).` };
    }
    return { cause: 'failed', message: `The job process of Slurm job ${slurmJobId} exited with code ${end.exitCode} on node ${end.node}.` };
  }
  if (state === 'OUT_OF_MEMORY') {
    return { cause: 'failed', message: `Slurm job ${slurmJobId} ran out of memory (raise the profile's memory).` };
  }
  if (state === 'FAILED' || state === 'COMPLETED') {
    const code = slurm?.exitCode;
    return { cause: 'failed', message: `Slurm job ${slurmJobId} ended ${state}${code != null ? ` with exit code ${code}` : ''} without writing its end state.` };
  }
  return {
    cause: started ? 'interrupted' : 'lost',
    message: started
      ? `Slurm job ${slurmJobId} started but left no end state, and Slurm no longer knows it (node lost or killed); it can be resumed from its last checkpoint.`
      : `Slurm job ${slurmJobId} is unknown to Slurm and never started (cancelled by an administrator, or purged).`,
  };
}

/** Turns a queue row (or its absence) and the job folder into the host's view. */
export function viewOf(
  slurmJobId: string,
  files: SlurmJobFiles,
  row: SlurmQueueRow | null,
  detail: SlurmJobDetail | null,
): SlurmJobView {
  if (row && PENDING_STATES.has(row.state)) return { phase: 'pending', slurmJobId, reason: row.reason, limitSeconds: row.limitSeconds };
  // COMPLETING: the batch shell has exited and Slurm is cleaning up; it hides
  // the final state (a cancelled job shows COMPLETING, then CANCELLED a few
  // seconds later), so the job counts as running until Slurm says how it ended.
  if (row && (RUNNING_STATES.has(row.state) || row.state === 'COMPLETING')) {
    return { phase: 'running', slurmJobId, slurmState: row.state, node: row.node, elapsedSeconds: row.elapsedSeconds, limitSeconds: row.limitSeconds };
  }
  const end = matchingEnd(files, slurmJobId);
  const started = readAttempts(files).some((a) => a.slurmJobId === slurmJobId);
  const slurm = detail ?? (row ? { state: row.state, reason: row.reason, exitCode: null } : null);
  const { cause, message } = endCause(slurmJobId, end, slurm, started, files.jobDir);
  return { phase: 'ended', slurmJobId, cause, message, slurmState: slurm?.state ?? null, end };
}

/** The end state when it belongs to this Slurm job (not to an earlier submission of the same folder). */
function matchingEnd(files: SlurmJobFiles, slurmJobId: string): SlurmEndState | null {
  const end = readEndState(files);
  return end && end.slurmJobId === slurmJobId ? end : null;
}

/**
 * The current view of several jobs with one squeue call (plus one scontrol per
 * job that has just ended, for its exit code).
 */
export async function readJobViews(jobs: readonly { slurmJobId: string; files: SlurmJobFiles }[], tools: SlurmTools = {}): Promise<Map<string, SlurmJobView>> {
  const rows = await readQueue(
    jobs.map((j) => j.slurmJobId),
    tools,
  );
  const views = new Map<string, SlurmJobView>();
  for (const job of jobs) {
    const row = rows.get(job.slurmJobId) ?? null;
    const ended = !row || !(PENDING_STATES.has(row.state) || RUNNING_STATES.has(row.state) || row.state === 'COMPLETING');
    const detail = ended && row ? await readJobDetail(job.slurmJobId, tools) : null;
    views.set(job.slurmJobId, viewOf(job.slurmJobId, job.files, row, detail));
  }
  return views;
}

export async function readJobView(slurmJobId: string, files: SlurmJobFiles, tools: SlurmTools = {}): Promise<SlurmJobView> {
  return (await readJobViews([{ slurmJobId, files }], tools)).get(slurmJobId)!;
}
