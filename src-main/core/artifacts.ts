import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Workspace } from './workspace.ts';

export interface ArtifactInput {
  kind: string;
  /** Absolute path inside the workspace. */
  absPath: string;
  jobId?: number | null;
  modelId?: number | null;
  datasetId?: number | null;
  meta?: Record<string, unknown>;
  /** Pass it when already known (a job computed it) to avoid hashing twice. */
  sha256?: string;
}

/** SHA-256 of a file, streamed (checkpoints and exports can be large). */
export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(file);
    const abort = (): void => {
      stream.destroy(new Error('cancelled'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => {
      signal?.removeEventListener('abort', abort);
      resolve(hash.digest('hex'));
    });
  });
}

/** Inserts an artifacts row (call inside the writer's transaction); returns its id. */
export function insertArtifact(ws: Workspace, a: ArtifactInput): number {
  const size = statSync(a.absPath).size;
  const info = ws.db
    .prepare('INSERT INTO artifacts (kind, path, size_bytes, sha256, job_id, model_id, dataset_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(a.kind, ws.relative(a.absPath), size, a.sha256 ?? null, a.jobId ?? null, a.modelId ?? null, a.datasetId ?? null, JSON.stringify(a.meta ?? {}));
  return Number(info.lastInsertRowid);
}
