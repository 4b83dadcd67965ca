import { jobKinds } from '../common/contract/kinds.ts';
import { z } from 'zod';
import { defineJob } from './jobs/spec.ts';
import type { OrphanFolder } from './orphans.ts';

export interface VerifyProblem {
  artifactId: number;
  path: string;
  problem: string;
}

export interface VerifyResult {
  checked: number;
  bytes: number;
  /** Hashes computed for artifacts that had none recorded, by artifact id. */
  filled: Record<number, string>;
  problems: VerifyProblem[];
  /** Data folders of jobs that ended without succeeding (a killed import's decoded data): nothing refers to them; removed at the next start. */
  orphans: OrphanFolder[];
  resumedAt: number;
}

/**
 * Checks every artifact of the workspace against its recorded size and
 * SHA-256, and records hashes that were missing. It is real I/O and CPU work
 * that checkpoints, so it also proves the job path end to end (progress,
 * cancel, crash, resume) without a model.
 */
export const verifyArtifactsJob = defineJob<{ chunkMiB: number }, VerifyResult>({
  kind: jobKinds.workspaceVerify,
  params: z.object({ chunkMiB: z.number().int().min(1).max(64).default(4) }).strict(),
  title: () => 'Verify workspace artifacts',
  resource: 'io',
  resumable: true,
  load: () => import('./workspace-verify-runner.ts'),
  onComplete: (ctx, result) => {
    const fill = ctx.ws.db.prepare('UPDATE artifacts SET sha256 = ? WHERE id = ? AND sha256 IS NULL');
    for (const [id, hash] of Object.entries(result.filled)) fill.run(hash, Number(id));
  },
});
