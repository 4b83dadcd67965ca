/**
 * What Slurm itself says about jobs, from `squeue` and `scontrol show job`.
 * Slurm forgets a finished job after MinJobAge (300 s by default) and, without
 * accounting, nothing remembers it: the job's end state is read from its job
 * folder (end-state.ts), this only while Slurm still knows it.
 */
import { parseSlurmDuration } from './profile.ts';
import { runSlurm, SlurmCommandError, type SlurmTools } from './commands.ts';

/** One job or array member as squeue shows it. */
export interface SlurmQueueRow {
  /** "123" for a plain job, "123_4" for member 4 of array 123. */
  id: string;
  /** Slurm's state name: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY... */
  state: string;
  /** Why it waits or ended (Resources, Priority, JobHeldUser, BeginTime, TimeLimit...); null for "None". */
  reason: string | null;
  /** The node it runs or ran on; null while pending. */
  node: string | null;
  elapsedSeconds: number | null;
  /** null when unlimited. */
  limitSeconds: number | null;
}

const FORMAT = ['%i', '%T', '%r', '%N', '%M', '%l'].join('|');

/**
 * Member ids of an array expression as squeue prints pending members that are
 * not started yet: "0-2", "1-3%1", "0,4-8:2" (the %K limit is dropped).
 */
export function expandArrayTasks(expression: string): number[] {
  const out: number[] = [];
  for (const part of expression.split('%')[0]!.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = from; i <= to; i += step) out.push(i);
  }
  return out;
}

/** Parses squeue lines in FORMAT; a not-yet-split array line becomes one row per member. */
export function parseSqueue(text: string): SlurmQueueRow[] {
  const rows: SlurmQueueRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [id = '', state = '', reason = '', node = '', elapsed = '', limit = ''] = line.split('|');
    const row = {
      state: state.trim(),
      reason: reason.trim() && reason.trim() !== 'None' ? reason.trim() : null,
      node: node.trim() || null,
      elapsedSeconds: parseSlurmDuration(elapsed),
      limitSeconds: parseSlurmDuration(limit),
    };
    const pending = /^(\d+)_\[(.+)\]$/.exec(id.trim());
    if (pending) for (const task of expandArrayTasks(pending[2]!)) rows.push({ id: `${pending[1]}_${task}`, ...row });
    else rows.push({ id: id.trim(), ...row });
  }
  return rows;
}

/**
 * The queue rows of these jobs (plain ids or "array_member"), including ones
 * that ended within MinJobAge. Ids Slurm no longer knows are simply absent.
 */
export async function readQueue(ids: readonly string[], tools: SlurmTools = {}): Promise<Map<string, SlurmQueueRow>> {
  const result = new Map<string, SlurmQueueRow>();
  if (ids.length === 0) return result;
  let text: string;
  try {
    text = await runSlurm('squeue', ['--noheader', '--states=all', `--jobs=${ids.join(',')}`, `--format=${FORMAT}`], tools);
  } catch (err) {
    // squeue fails when none of the ids is known any more: that is an answer, not an error.
    if (err instanceof SlurmCommandError && /Invalid job id/i.test(err.stderr)) return result;
    throw err;
  }
  const wanted = new Set(ids);
  for (const row of parseSqueue(text)) {
    // Asking for array "123" lists its members "123_0"...; they are kept as such.
    if (wanted.has(row.id) || wanted.has(row.id.split('_')[0]!)) result.set(row.id, row);
  }
  return result;
}

/** Key=value fields of `scontrol show job -o` (values may not hold spaces except the last, Command/WorkDir aside). */
export function parseScontrolJob(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const token of text.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return fields;
}

export interface SlurmJobDetail {
  state: string;
  reason: string | null;
  /** The batch script's exit code and the signal that ended it (ExitCode=code:signal). */
  exitCode: number | null;
  exitSignal: number | null;
  /** How many times Slurm requeued it. */
  restarts: number;
}

/** `scontrol show job` for one job, or null when Slurm no longer knows it. */
export async function readJobDetail(id: string, tools: SlurmTools = {}): Promise<SlurmJobDetail | null> {
  let text: string;
  try {
    text = await runSlurm('scontrol', ['--oneliner', 'show', 'job', id], tools);
  } catch (err) {
    if (err instanceof SlurmCommandError && /Invalid job id/i.test(err.stderr)) return null;
    throw err;
  }
  const f = parseScontrolJob(text.split('\n')[0] ?? '');
  const exit = /^(\d+):(\d+)$/.exec(f.ExitCode ?? '');
  return {
    state: f.JobState ?? 'UNKNOWN',
    reason: f.Reason && f.Reason !== 'None' ? f.Reason : null,
    exitCode: exit ? Number(exit[1]) : null,
    exitSignal: exit ? Number(exit[2]) : null,
    restarts: Number(f.Restarts ?? 0) || 0,
  };
}
