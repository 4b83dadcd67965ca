import type { Workspace } from '../core/workspace.ts';
import { commitGeneratedDataset } from '../datasets/generated-store.ts';
import type { GenerateResult } from './generate-runner.ts';

/** Lineage stored in a generated dataset's info (`extra.lineage`). */
export interface GeneratedDatasetLineage {
  kind: 'localization-set';
  jobId: number;
  objectDatasetId: number;
  backgroundDatasetId: number | null;
  params: GenerateResult['params'];
}

/**
 * Commits a generated set in the job's onComplete transaction (the shared
 * generated-dataset writer; parent = the object dataset). The object masks stay
 * in `info.extra.masks` for PxAP.
 */
export function commitGenerated(ws: Workspace, jobId: number, r: GenerateResult): number {
  const lineage: GeneratedDatasetLineage = { kind: 'localization-set', jobId, objectDatasetId: r.objectDatasetId, backgroundDatasetId: r.backgroundDatasetId, params: r.params };
  return commitGeneratedDataset(ws, jobId, { ...r, parentDatasetId: r.objectDatasetId, extra: { lineage, masks: r.masks } });
}
