import { ApiError } from '../common/contract/errors.ts';
import type { Workspace } from './workspace.ts';
import type { ServedFile } from './file-serving.ts';
import { serveFile } from './file-serving.ts';
import path from 'node:path';

/**
 * Image bytes of one dataset sample. Samples of formats decoded into the
 * workspace (CIFAR, IDX) have no file of their own; the datasets module encodes
 * them on demand.
 */
export async function serveSample(ws: Workspace, sampleId: number, thumb?: number): Promise<ServedFile> {
  if (!Number.isInteger(sampleId) || sampleId <= 0) throw new ApiError('invalid_request', 'sample id must be a positive integer.', 'id');
  const row = ws.db
    .prepare('SELECT s.path AS path, d.root_path AS root FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?')
    .get(sampleId) as { path: string; root: string } | undefined;
  if (!row) throw new ApiError('not_found', `There is no sample ${sampleId}.`, 'id');
  return serveFile(ws, path.resolve(row.root, row.path), thumb);
}
