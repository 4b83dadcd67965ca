import type { Migration } from '../migrate.ts';

/**
 * Where a job runs and the sweep it belongs to:
 * - `run_on`: null for this machine, or `{"slurm":"<profile>"}`;
 * - `slurm`: what the host last saw of its Slurm job (id, phase, pending reason,
 *   node, elapsed/limit) as JSON, shown on the job row;
 * - `slurm_offsets`: how far the host has applied the job folder's journals,
 *   stored with their effects so a restarted host re-attaches where it stopped;
 * - `sweep_id`: the members of one sweep (one field over a list of values).
 */
export const migration010: Migration = {
  version: 10,
  name: 'job-placement',
  sql: `
ALTER TABLE jobs ADD COLUMN run_on TEXT;
ALTER TABLE jobs ADD COLUMN slurm TEXT;
ALTER TABLE jobs ADD COLUMN slurm_offsets TEXT;
ALTER TABLE jobs ADD COLUMN sweep_id TEXT;
CREATE INDEX jobs_sweep ON jobs (sweep_id) WHERE sweep_id IS NOT NULL;
`,
};
