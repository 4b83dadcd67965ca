import { insertJob } from '../../src-main/core/jobs/job-store.ts';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import { mkdirSync } from 'node:fs';
import type { DatasetImportParams } from '../../src-main/common/contract/datasets.ts';
import { datasetImportParams } from '../../src-main/common/contract/datasets.ts';
import type { Workspace } from '../../src-main/core/workspace.ts';
import runImport from '../../src-main/datasets/import-runner.ts';
import type { ImportJobResult } from '../../src-main/datasets/import-runner.ts';
import { datasetImportJob } from '../../src-main/datasets/jobs.ts';
import type { JobRunContext } from '../../src-main/core/jobs/spec.ts';

/**
 * Runs the real import runner in this process with a minimal job context, then
 * the real writer step (the job spec's preflight and onComplete) in one
 * transaction, as the job manager does.
 */
export async function importDirect(
  ws: Workspace,
  params: Partial<DatasetImportParams> & { path: string },
  options: { signal?: AbortSignal; onProgress?: () => void } = {},
): Promise<ImportJobResult & { jobId: number }> {
  const parsed = datasetImportParams.parse(params);
  datasetImportJob.preflight!(parsed, ws);
  const jobId = insertJob(ws.db, { kind: jobKinds.datasetsImport, title: 't', params: parsed, status: 'running' });
  const jobDir = ws.jobDir(jobId);
  mkdirSync(jobDir, { recursive: true });
  const ctx: JobRunContext<DatasetImportParams> = {
    jobId,
    params: parsed,
    workspaceDir: ws.dir,
    jobDir,
    signal: options.signal ?? new AbortController().signal,
    resume: null,
    progress: () => options.onProgress?.(),
    log: () => {},
    metrics: () => {},
    record: () => Promise.resolve(undefined),
    readDb: () => ws.db,
  };
  const result = await runImport(ctx);
  ws.transaction(() => datasetImportJob.onComplete!({ ws, jobId, jobDir }, result));
  return { ...result, jobId };
}
