import path from 'node:path';
import type { Workspace } from '../../src-main/core/workspace.ts';
import type { Model } from '../../src-main/nn/forward.ts';
import { saveModel } from '../../src-main/nn/model-file.ts';

/** Saves a model under artifacts/models/<folder> and inserts its models row; returns the id. */
export async function addWorkspaceModel(
  ws: Workspace,
  model: Model,
  row: { name: string; method?: string; rate?: number; parentId?: number; datasetId?: number; jobId?: number; metrics?: Record<string, unknown> },
): Promise<number> {
  const dir = path.join(ws.artifactsDir, 'models', row.name);
  await saveModel(model, dir, { name: row.name });
  const info = ws.db
    .prepare('INSERT INTO models (name, arch, spec, dir, parent_model_id, dataset_id, job_id, method, rate, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      row.name,
      model.spec.arch,
      JSON.stringify(model.spec),
      ws.relative(dir),
      row.parentId ?? null,
      row.datasetId ?? null,
      row.jobId ?? null,
      row.method ?? null,
      row.rate ?? null,
      JSON.stringify(row.metrics ?? {}),
    );
  return Number(info.lastInsertRowid);
}
