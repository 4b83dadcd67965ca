/**
 * Renders the sbatch script that runs a job's process on a node: the profile as
 * #SBATCH directives, the shared-storage probe, the time-limit signal passed on
 * to the workload, and the end-state file the batch shell leaves behind.
 */
import { ApiError } from '../common/contract/errors.ts';
import { PROBE_MISSING_EXIT, slurmJobFiles, NODE_ENV } from './job-folder.ts';
import type { SlurmProfile } from './profile.ts';

export interface BatchJobSpec {
  /** Shown by squeue; reduced to letters, digits and . _ - */
  name: string;
  /**
   * One job folder per member. One folder and no `array`: a plain job. Several
   * (or `array` set): one `--array=0-N` job whose member i runs in jobDirs[i].
   */
  jobDirs: string[];
  /** Array job; `parallel` caps how many members run at once (`%K`). */
  array?: { parallel?: number } | undefined;
  /** The workload's argv on the node (e.g. node, its flags, the job-process entry). */
  command: string[];
  /** Extra environment for the workload. */
  env?: Record<string, string> | undefined;
  /** The token written to each member's probe file just before submission. */
  probeToken: string;
}

/** Single-quoted for bash: nothing inside is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * A value for an #SBATCH line: sbatch reads double quotes there. In a file name
 * it expands %j-style patterns, so a path's own % is doubled and `pattern` (e.g.
 * "%A_%a.out") is appended after that.
 */
function directiveValue(value: string, field: string, pattern?: string): string {
  if (/["\n\r]/.test(value)) {
    throw new ApiError('invalid_request', `${value} cannot be passed to sbatch: it holds a double quote or a line break.`, field);
  }
  const text = pattern === undefined ? value : value.replace(/%/g, '%%') + pattern;
  return /^[A-Za-z0-9._+\-/:=,@%]+$/.test(text) ? text : `"${text}"`;
}

function isArray(spec: BatchJobSpec): boolean {
  return spec.array !== undefined || spec.jobDirs.length > 1;
}

/** The #SBATCH options of a job, in the order they are written. */
export function sbatchDirectives(profile: SlurmProfile, spec: BatchJobSpec): string[] {
  if (spec.jobDirs.length === 0) throw new ApiError('invalid_request', 'A Slurm job needs at least one job folder.', 'jobDirs');
  const first = slurmJobFiles(spec.jobDirs[0]!);
  const name = spec.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64) || 'workbench';
  const out: string[] = [`--job-name=${name}`];
  if (isArray(spec)) {
    const parallel = spec.array?.parallel;
    out.push(`--array=0-${spec.jobDirs.length - 1}${parallel ? `%${parallel}` : ''}`);
    // Members write to their own folder (the script redirects); Slurm's file keeps
    // what happens before that and slurmstepd's own messages (time limit, cancel).
    out.push(`--output=${directiveValue(`${first.dir}/slurm-`, 'jobRoot', '%A_%a.out')}`);
  } else {
    out.push(`--output=${directiveValue(first.output, 'jobRoot', '')}`);
  }
  out.push(
    // A requeued attempt continues the same log instead of truncating it.
    '--open-mode=append',
    `--chdir=${directiveValue(first.dir, 'jobRoot')}`,
    // B: signals the batch shell only; the script passes it on to the workload.
    `--signal=B:USR2@${profile.signalSeconds}`,
    // By default the workbench decides what happens after a failure (an
    // interrupted job, resumed from its checkpoint); see the README.
    profile.requeue ? '--requeue' : '--no-requeue',
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${profile.cpus}`,
    `--time=${profile.timeLimit}`,
  );
  if (profile.partition) out.push(`--partition=${profile.partition}`);
  if (profile.memory) out.push(`--mem=${profile.memory}`);
  if (profile.gpus > 0) out.push(`--gres=gpu:${profile.gpus}`);
  if (profile.account) out.push(`--account=${profile.account}`);
  if (profile.qos) out.push(`--qos=${profile.qos}`);
  profile.extraArgs.forEach((arg, i) => {
    const eq = arg.indexOf('=');
    const field = `profile.extraArgs.${i}`;
    out.push(eq < 0 ? directiveValue(arg, field) : `${arg.slice(0, eq)}=${directiveValue(arg.slice(eq + 1), field)}`);
  });
  return out;
}

/** The whole batch script. */
export function renderBatchScript(profile: SlurmProfile, spec: BatchJobSpec): string {
  if (spec.command.length === 0) throw new ApiError('invalid_request', 'The workload command is empty.', 'command');
  if (!/^[A-Za-z0-9_-]+$/.test(spec.probeToken)) throw new ApiError('invalid_request', 'The probe token must be letters, digits, - and _.', 'probeToken');
  const env = Object.entries(spec.env ?? {});
  for (const [key] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ApiError('invalid_request', `"${key}" is not an environment variable name.`, `env.${key}`);
  }
  const array = isArray(spec);
  const lines = [
    '#!/bin/bash',
    ...sbatchDirectives(profile, spec).map((d) => `#SBATCH ${d}`),
    '#',
    '# Rendered by the workbench (src-main/slurm/script.ts). Runs one job process on a',
    '# node; the job folder is its only channel to the workbench (src-main/slurm/README.md).',
    'set -u',
    '',
    '# Slurm signals only this shell (--signal=B:...). The traps come first: the',
    '# time-limit warning may arrive as the job starts (Slurm checks signals about once',
    '# a minute), and an untrapped USR2 would kill this shell before it wrote anything',
    '# (Slurm then reports JobLaunchFailure). Each signal is passed on to the workload',
    '# so it can save a checkpoint and stop, and remembered.',
    "signals=''",
    "child=''",
    'pass_on() {',
    '  signals="$signals${signals:+,}\\"$1\\""',
    '  if [ -n "$child" ]; then kill -s "$1" "$child" 2>/dev/null || true; fi',
    '}',
    "trap 'pass_on USR2' USR2",
    "trap 'pass_on TERM' TERM",
    "trap 'pass_on INT' INT",
    '',
    'job_dirs=(',
    ...spec.jobDirs.map((d) => `  ${shellQuote(d)}`),
    ')',
    'job_dir=${job_dirs[${SLURM_ARRAY_TASK_ID:-0}]}',
    'channel="$job_dir/slurm"',
    'attempt=${SLURM_RESTART_COUNT:-0}',
    'if [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then slurm_id="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"; else slurm_id=$SLURM_JOB_ID; fi',
    'node=$(hostname)',
    '',
    '# The workbench wrote this token just before submitting. A node that does not',
    "# find it sees another folder of the same name (its own disk), not the workbench's.",
    `if [ "$(cat "$channel/probe" 2>/dev/null)" != ${shellQuote(spec.probeToken)} ]; then`,
    `  echo "workbench: the job folder $job_dir on node $node is not the one the workbench wrote (its probe file is missing): job folders must be on storage the nodes share (the profile's jobRoot)." >&2`,
    `  exit ${PROBE_MISSING_EXIT}`,
    'fi',
    ...(array ? ['exec >>"$channel/output.log" 2>&1'] : []),
    '',
    'now() { date -u +%Y-%m-%dT%H:%M:%SZ; }',
    `printf '{"attempt":%d,"slurmJobId":"%s","node":"%s","startedAt":"%s"}\\n' "$attempt" "$slurm_id" "$node" "$(now)" >>"$channel/attempts.jsonl"`,
    '',
    `export ${NODE_ENV.channel}="$channel" ${NODE_ENV.attempt}="$attempt" ${NODE_ENV.jobDir}="$job_dir"`,
    ...env.map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    '',
    'cd "$job_dir"',
    'rc=0',
    '# A stop that came before the workload started: it is not started at all (the',
    '# end state below carries the signal, so the job ends interrupted or cancelled).',
    'if [ -z "$signals" ]; then',
    `  ${spec.command.map(shellQuote).join(' ')} &`,
    '  child=$!',
    '  # One that came between the start and the line above is passed on now.',
    '  if [ -n "$signals" ]; then last=${signals##*,}; kill -s "${last//\\"/}" "$child" 2>/dev/null || true; fi',
    'fi',
    '# A trapped signal interrupts `wait`; wait again until the workload has ended.',
    'while [ -n "$child" ]; do',
    '  seen=$signals',
    '  wait "$child"; rc=$?',
    '  [ "$signals" = "$seen" ] && break',
    '  kill -0 "$child" 2>/dev/null && continue',
    '  # It ended around the signal: its status is still there unless that wait took it.',
    '  wait "$child"; again=$?',
    '  [ "$again" = 127 ] || rc=$again',
    '  break',
    'done',
    '',
    '# The end state outlives Slurm\'s memory of the job (MinJobAge): written whole, then renamed.',
    `printf '{"attempt":%d,"slurmJobId":"%s","node":"%s","exitCode":%d,"signals":[%s],"finishedAt":"%s"}\\n' "$attempt" "$slurm_id" "$node" "$rc" "$signals" "$(now)" >"$channel/end.json.tmp" && mv -f "$channel/end.json.tmp" "$channel/end.json"`,
    'exit "$rc"',
    '',
  ];
  return lines.join('\n');
}
