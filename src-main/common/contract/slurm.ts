/**
 * Slurm on the contract: profiles (named resource requests, stored as a
 * setting), where a job runs (`runOn`), and the Slurm state a job row shows.
 * Plain zod: the Settings page, the CLI and src-main/slurm share it.
 */
import { z } from 'zod';
import { call } from './define.ts';

/**
 * Slurm's duration forms (sbatch --time): "minutes", "minutes:seconds",
 * "hours:minutes:seconds", "days-hours", "days-hours:minutes",
 * "days-hours:minutes:seconds".
 */
const DURATION = /^(?:(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?|(\d+)(?::(\d+)(?::(\d+))?)?)$/;

/** Seconds of a Slurm duration, or null when it is not one (UNLIMITED, INVALID, garbage). */
export function parseSlurmDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  if (m[1] !== undefined) return n(m[1]) * 86400 + n(m[2]) * 3600 + n(m[3]) * 60 + n(m[4]);
  // Without days: one number is minutes, two are minutes:seconds, three hours:minutes:seconds.
  if (m[7] !== undefined) return n(m[5]) * 3600 + n(m[6]) * 60 + n(m[7]);
  if (m[6] !== undefined) return n(m[5]) * 60 + n(m[6]);
  return n(m[5]) * 60;
}

/** Options the rendered script sets itself; giving them again in extraArgs would break the job folder contract. */
export const RESERVED_SBATCH_OPTIONS = [
  '--output',
  '-o',
  '--error',
  '-e',
  '--open-mode',
  '--signal',
  '--chdir',
  '-D',
  '--array',
  '-a',
  '--requeue',
  '--no-requeue',
  '--parsable',
  '--wrap',
  '--job-name',
  '-J',
];

/** A Slurm name (partition, account, QoS): no whitespace, nothing a shell or sbatch would split. */
const slurmName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only');

export const slurmProfileSchema = z
  .object({
    /** How the user picks it: `--on slurm:<name>`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits and . _ - (at most 64)'),
    /** sbatch --partition; absent means the cluster's default partition. */
    partition: slurmName.optional(),
    /** sbatch --time, in Slurm's duration forms ("90", "2:00:00", "1-12:00:00"). */
    timeLimit: z.string().refine((s) => (parseSlurmDuration(s) ?? 0) > 0, 'a Slurm duration such as "90" (minutes), "2:00:00" or "1-12:00:00"'),
    /** sbatch --cpus-per-task (one task per job). */
    cpus: z.number().int().min(1).max(4096).default(1),
    /** sbatch --mem (per node), e.g. "16G"; absent means the cluster's default. */
    memory: z
      .string()
      .regex(/^\d+[KMGT]?$/, 'a size such as "16G" or "4000M"')
      .optional(),
    /** GPUs per job as `--gres=gpu:N`; 0 asks for none. */
    gpus: z.number().int().min(0).max(64).default(0),
    account: slurmName.optional(),
    qos: slurmName.optional(),
    /** Further sbatch options, one option per entry ("--constraint=a100", "--exclusive"). */
    extraArgs: z
      .array(z.string().regex(/^-[^\n\r]*$/, 'one sbatch option per entry, starting with "-", on one line'))
      .default([])
      .superRefine((args, ctx) => {
        args.forEach((arg, i) => {
          const option = arg.split('=')[0]!;
          if (RESERVED_SBATCH_OPTIONS.includes(option)) {
            ctx.addIssue({ code: 'custom', path: [i], message: `${option} is set by the workbench itself (job folder, signal, requeue); remove it` });
          }
        });
      }),
    /**
     * Absolute folder on storage every node sees (same path on this machine and the
     * nodes). When set, each job's folder tree is made there,
     * `<jobRoot>/<workspace key>/<job id>/`, with a snapshot of the database and
     * the inputs it reads from the workspace; the host lands what the job wrote in
     * the workspace (src-main/slurm/README.md). Absent: the workspace's own job
     * folders are used, so the workspace must be on shared storage.
     */
    jobRoot: z
      .string()
      .refine((s) => s.startsWith('/'), 'an absolute path on storage the nodes share')
      .optional(),
    /**
     * Folders on this machine's own storage that the nodes do not see (besides
     * /tmp, /var/tmp, /dev/shm, /run and tmpfs, known when the nodes are other
     * machines). A job folder there is refused; an input there (a dataset's files,
     * a model) is staged into jobRoot when it is in the workspace, refused naming
     * it otherwise.
     */
    localPaths: z.array(z.string().refine((s) => s.startsWith('/'), 'an absolute path')).default([]),
    /**
     * Seconds before the time limit at which Slurm warns the job (USR2) so it can
     * save a checkpoint and stop. 90 s is submitit's choice ("Checkpointing");
     * Slurm checks about once a minute, so the warning comes 0-60 s earlier than asked.
     */
    signalSeconds: z.number().int().min(10).max(86400).default(90),
    /** Whether Slurm may requeue the job itself (node failure, preemption); see the README. */
    requeue: z.boolean().default(false),
    /** Folder holding sbatch/squeue/scancel when they are not on PATH (e.g. /opt/slurm/bin). */
    binDir: z
      .string()
      .refine((s) => s.startsWith('/'), 'an absolute path')
      .optional(),
  })
  .superRefine((p, ctx) => {
    const limit = parseSlurmDuration(p.timeLimit);
    if (limit !== null && p.signalSeconds >= limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['signalSeconds'],
        message: `the warning (${p.signalSeconds} s) must come before the time limit (${p.timeLimit} = ${limit} s)`,
      });
    }
  });

export type SlurmProfile = z.output<typeof slurmProfileSchema>;
export type SlurmProfileInput = z.input<typeof slurmProfileSchema>;

/** Where a job runs: this machine, or a Slurm cluster with the named profile. */
export const runOnSchema = z.union([z.literal('local'), z.object({ slurm: z.string().min(1) }).strict()]);
export type RunOn = z.infer<typeof runOnSchema>;

/** What the host last saw of a job's Slurm job (src-main/slurm/job-state.ts), on its job row. */
export interface SlurmJobInfo {
  profile: string;
  slurmJobId: string | null;
  phase: 'submitting' | 'pending' | 'running' | 'ended';
  /** Slurm's pending reason (Resources, Priority, BeginTime...). */
  reason: string | null;
  node: string | null;
  elapsedSeconds: number | null;
  limitSeconds: number | null;
  /** The job's folder tree on the profile's jobRoot; absent or null: the workspace's own job folder. */
  stagedAt?: string | null;
}

export const slurmCalls = {
  'slurm.profiles.list': call<SlurmProfile[]>()(z.object({}).strict(), 'The stored Slurm profiles, by name.'),
  'slurm.profiles.set': call<SlurmProfile>()(
    z.object({ profile: z.unknown() }).strict(),
    'Add or replace a Slurm profile (validated with slurmProfileSchema; errors name the profile field).',
  ),
  'slurm.profiles.remove': call<{ removed: boolean }>()(z.object({ name: z.string().min(1) }).strict(), 'Remove a Slurm profile by name.'),
};
