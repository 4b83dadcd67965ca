import { ApiError } from '../common/contract/errors.ts';
import type { Workspace } from '../core/workspace.ts';
import type { ServedFile } from '../core/file-serving.ts';
import { samplePixelsPng, thumbnailFor } from '../datasets/thumbs.ts';

/**
 * Image bytes of one dataset sample (or its cached thumbnail). Samples of
 * formats decoded into the workspace (CIFAR, IDX) have no file of their own:
 * the datasets module encodes them as PNG on demand.
 */
export async function serveSample(ws: Workspace, sampleId: number, thumb?: number): Promise<ServedFile> {
  if (!Number.isInteger(sampleId) || sampleId <= 0) throw new ApiError('invalid_request', 'sample id must be a positive integer.', 'id');
  const image = thumb ? await thumbnailFor(ws, sampleId, thumb) : await samplePixelsPng(ws, sampleId);
  return { contentType: image.contentType, body: image.bytes };
}
