/**
 * What every pruning bench starts with: the engine it asks for, a workspace
 * (a temporary one unless given) and Fashion-MNIST imported into it by the
 * real import job.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../core/workspace.ts';
import { initEngine, parseBackendRequest } from '../../engine/init.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';

export async function openPruneBench(o: { backend?: string; data: string; workspace?: string; prefix: string; log: (line: string) => void }): Promise<{
  engine: Awaited<ReturnType<typeof initEngine>>;
  ws: Workspace;
  wsDir: string;
  datasetId: number;
}> {
  const engine = await initEngine(o.backend ? { backend: parseBackendRequest(o.backend)! } : {});
  o.log(`engine: ${engine.backend} (${engine.device}, ${engine.threads} threads)`);
  if (!existsSync(o.data)) throw new Error(`${o.data} not found (install the dataset-fashion-mnist package or pass --data).`);
  const wsDir = o.workspace ?? mkdtempSync(path.join(os.tmpdir(), o.prefix));
  const ws = Workspace.open(wsDir);
  const imported = await runJobInProcess(ws, datasetImportJob, { path: o.data, format: 'auto', name: path.basename(o.data), allowDuplicate: true });
  if (imported.status !== 'succeeded') throw new Error(`import failed: ${imported.error}`);
  const datasetId = (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(imported.jobId) as { id: number }).id;
  return { engine, ws, wsDir, datasetId };
}
