/**
 * The files through which a host and a job running on a Slurm node talk: one
 * place that names them, used by both sides. They live in `<jobDir>/slurm/`,
 * beside the job's own artifacts (checkpoints, outputs), on storage both the
 * host and the node see. Nothing here writes the workspace database.
 */
import path from 'node:path';

export interface SlurmJobFiles {
  /** `<jobDir>/slurm`: everything below belongs to the channel. */
  dir: string;
  /** The job's own folder (checkpoints, outputs), as the node sees it. */
  jobDir: string;
  /** The rendered batch script (kept for the record and for resubmitting by hand). */
  script: string;
  /** A token the host writes just before submission; the node must find it (shared-storage check). */
  probe: string;
  /** Host -> node, append-only JSONL of ToJob messages ('start' first, then 'cancel', 'record-result'). */
  toJob: string;
  /** Node -> host, append-only JSONL of FromJob messages (progress, logs, metrics, engine, record, done/failed). */
  fromJob: string;
  /** The batch shell's and the workload's stdout/stderr (appended across requeued attempts). */
  output: string;
  /** One JSON line per attempt the node started (attempt number, Slurm job id, node, time). */
  attempts: string;
  /** The last attempt's end (exit code, signals received), written by the batch shell as it exits. */
  end: string;
  /** What the host submitted (Slurm job id, sbatch arguments, time): the job id survives a host restart. */
  submitted: string;
}

export function slurmJobFiles(jobDir: string): SlurmJobFiles {
  const dir = path.join(jobDir, 'slurm');
  return {
    dir,
    jobDir,
    script: path.join(dir, 'batch.sh'),
    probe: path.join(dir, 'probe'),
    toJob: path.join(dir, 'to-job.jsonl'),
    fromJob: path.join(dir, 'from-job.jsonl'),
    output: path.join(dir, 'output.log'),
    attempts: path.join(dir, 'attempts.jsonl'),
    end: path.join(dir, 'end.json'),
    submitted: path.join(dir, 'submitted.json'),
  };
}

/**
 * Exit code of the batch script when the node does not find the host's probe
 * token: the node is looking at a different folder of the same name (its own
 * local disk), not the host's. Chosen outside the codes shells and Node use.
 */
export const PROBE_MISSING_EXIT = 97;

/** Environment the batch script gives the workload on the node. */
export const NODE_ENV = {
  /** The channel folder (`<jobDir>/slurm`). */
  channel: 'WORKBENCH_SLURM_CHANNEL',
  /** 0 for the first run, n after Slurm requeued the job n times (SLURM_RESTART_COUNT). */
  attempt: 'WORKBENCH_SLURM_ATTEMPT',
  /** The job's folder. */
  jobDir: 'WORKBENCH_JOB_DIR',
} as const;
