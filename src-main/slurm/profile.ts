/**
 * A Slurm profile: the resources and placement every job submitted with it asks
 * for. The schema lives in the contract (common/contract/slurm.ts) so the
 * Settings page and the CLI share it; the Slurm modules import it from here.
 */
export {
  parseSlurmDuration,
  RESERVED_SBATCH_OPTIONS,
  slurmProfileSchema,
  type SlurmProfile,
  type SlurmProfileInput,
} from '../common/contract/slurm.ts';
