import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { defineJob, type AnyJobSpec } from '../core/jobs/spec.ts';
import { ApiError } from '../common/contract/errors.ts';
import {
  exportParamsSchema,
  importParamsSchema,
  latencyParamsSchema,
  type ExportParams,
  type ImportParams,
  type LatencyParams,
  type LatencyRecord,
} from '../common/contract/compare.ts';
import type { Workspace } from '../core/workspace.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { insertModelRow } from '../models/model-rows.ts';
import type { ExportResult } from './export-runner.ts';
import type { ImportResult } from './import-runner.ts';

function requireModel(ws: Workspace, id: number): { name: string } {
  const row = ws.db.prepare('SELECT name FROM models WHERE id = ?').get(id) as { name: string } | undefined;
  if (!row) throw new ApiError('not_found', `No model with id ${id}.`, 'modelId');
  return row;
}

export const exportJob = defineJob<ExportParams, ExportResult>({
  kind: 'models.export',
  params: exportParamsSchema,
  title: (p) => `Export model ${p.modelId} as ${p.format === 'onnx' ? 'ONNX' : 'TF.js layers'}`,
  resource: 'compute',
  resumable: false,
  preflight: (p, ws) => {
    requireModel(ws, p.modelId);
    if (p.outDir !== undefined && !path.isAbsolute(p.outDir)) throw new ApiError('invalid_request', `outDir must be an absolute path, got "${p.outDir}".`, 'outDir');
    if (p.outDir !== undefined && existsSync(p.outDir) && !statSync(p.outDir).isDirectory()) {
      throw new ApiError('invalid_request', `outDir ${p.outDir} is a file, not a folder.`, 'outDir');
    }
  },
  load: () => import('./export-runner.ts'),
  onComplete: (ctx, result) => {
    const kind = result.format === 'onnx' ? 'export-onnx' : 'export-tfjs';
    for (const f of result.files) {
      insertArtifact(ctx.ws, {
        kind,
        absPath: ctx.ws.resolve(f.path),
        sha256: f.sha256,
        jobId: ctx.jobId,
        modelId: result.modelId,
        meta: { format: result.format, role: f.role, inputLayout: result.inputLayout, verification: result.verification, copiedTo: f.copiedTo ?? null },
      });
    }
  },
});

export const latencyJob = defineJob<LatencyParams, LatencyRecord & { modelId: number }>({
  kind: 'models.latency',
  params: latencyParamsSchema,
  title: (p) => `Measure latency of model ${p.modelId} (batch 1 and ${p.batchSize})`,
  resource: 'compute',
  resumable: false,
  preflight: (p, ws) => void requireModel(ws, p.modelId),
  load: () => import('./latency-runner.ts'),
  onComplete: (ctx, result) => {
    const { modelId, ...record } = result;
    // Replace the latency entry as a whole (timings of different runs and engines must not mix); other metrics stay.
    ctx.ws.db.prepare("UPDATE models SET metrics = json_set(metrics, '$.latency', json(?)) WHERE id = ?").run(JSON.stringify(record), modelId);
  },
});

export const importJob = defineJob<ImportParams, ImportResult>({
  kind: 'models.import',
  params: importParamsSchema,
  title: (p) => `Import model ${p.name ?? path.basename(p.path)}`,
  resource: 'io',
  resumable: false,
  preflight: (p) => {
    if (!path.isAbsolute(p.path)) throw new ApiError('invalid_request', `path must be absolute, got "${p.path}".`, 'path');
    if (!existsSync(p.path) || !statSync(p.path).isDirectory()) throw new ApiError('invalid_request', `${p.path} is not a folder.`, 'path');
    if (!existsSync(path.join(p.path, 'model.json'))) throw new ApiError('invalid_request', `${p.path} has no model.json: not a model folder.`, 'path');
  },
  load: () => import('./import-runner.ts'),
  onComplete: (ctx, r) => {
    const modelId = insertModelRow(ctx.ws.db, {
      name: r.name,
      arch: r.arch,
      spec: JSON.stringify(r.spec),
      dir: r.dir,
      parentModelId: null,
      datasetId: null,
      jobId: ctx.jobId,
      method: r.method ?? 'imported',
      rate: r.rate,
      metrics: r.metrics,
    });
    for (const f of r.files) {
      insertArtifact(ctx.ws, { kind: 'weights', absPath: ctx.ws.resolve(f.path), sha256: f.sha256, jobId: ctx.jobId, modelId, meta: { role: f.role, importedFrom: r.source } });
    }
  },
});

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const compareJobSpecs: AnyJobSpec[] = [exportJob, latencyJob, importJob];
