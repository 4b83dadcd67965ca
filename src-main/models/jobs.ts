import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineJob, type AnyJobSpec } from '../core/jobs/spec.ts';
import { ApiError } from '../common/contract/errors.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import {
  exportParamsSchema,
  importParamsSchema,
  latencyParamsSchema,
  type ExportParams,
  type ImportParams,
  type LatencyParams,
  type LatencyRecord,
} from '../common/contract/models.ts';
import type { Workspace } from '../core/workspace.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { getModelRow, recordSavedModel } from './model-rows.ts';
import type { ExportResult } from './export/export-runner.ts';
import type { ImportResult } from './import-runner.ts';

export const COMPACT_KIND = jobKinds.modelsCompact;

export const compactParams = z
  .object({
    modelId: z.number().int().positive(),
    name: z.string().min(1).max(200).optional(),
    /** false: convs feeding the residual stream keep their zero filters (no scatter ops; see prune/compact.ts). */
    scatter: z.boolean().default(true),
    /** Round kept filter counts up to a multiple of this (keeps some zero filters). */
    align: z.number().int().min(1).max(64).default(1),
    /** Batch size for the latency comparison of the masked and the compact model. */
    benchBatch: z.number().int().min(1).max(512).default(32),
  })
  .strict();
export type CompactParams = z.output<typeof compactParams>;

export interface CompactResult {
  model: { dir: string; name: string; arch: string; rate: number | null; parentModelId: number; datasetId: number | null };
  metrics: Record<string, unknown>;
  layers: { name: string; before: number; after: number }[];
}

export const compactJob = defineJob<CompactParams, CompactResult>({
  kind: COMPACT_KIND,
  changes: ['models'],
  params: compactParams,
  title: (p) => `Compact model ${p.modelId} (remove zeroed filters)`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    const row = getModelRow(ws.db, p.modelId, 'modelId');
    if (!existsSync(path.join(ws.resolve(row.dir), 'model.json'))) throw new ApiError('invalid_request', `modelId: the files of model ${p.modelId} are missing (${row.dir}).`, 'modelId');
  },
  load: () => import('./compact-runner.ts'),
  onComplete(ctx, result) {
    recordSavedModel(ctx.ws, ctx.jobId, {
      name: result.model.name,
      arch: result.model.arch,
      dir: result.model.dir,
      parentModelId: result.model.parentModelId,
      datasetId: result.model.datasetId,
      method: 'compact',
      rate: result.model.rate,
      metrics: result.metrics,
    });
  },
});

function requireModel(ws: Workspace, id: number): { name: string } {
  const row = ws.db.prepare('SELECT name FROM models WHERE id = ?').get(id) as { name: string } | undefined;
  if (!row) throw new ApiError('not_found', `No model with id ${id}.`, 'modelId');
  return row;
}

export const exportJob = defineJob<ExportParams, ExportResult>({
  kind: jobKinds.modelsExport,
  changes: ['models'],
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
  load: () => import('./export/export-runner.ts'),
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
  kind: jobKinds.modelsLatency,
  changes: ['models'],
  params: latencyParamsSchema,
  title: (p) => `Measure latency of model ${p.modelId} (batch 1 and ${p.batchSize})`,
  resource: 'compute',
  resumable: false,
  preflight: (p, ws) => void requireModel(ws, p.modelId),
  load: () => import('./latency/latency-runner.ts'),
  onComplete: (ctx, result) => {
    const { modelId, ...record } = result;
    // Replace the latency entry as a whole (timings of different runs and engines must not mix); other metrics stay.
    ctx.ws.db.prepare("UPDATE models SET metrics = json_set(metrics, '$.latency', json(?)) WHERE id = ?").run(JSON.stringify(record), modelId);
  },
});

export const importJob = defineJob<ImportParams, ImportResult>({
  kind: jobKinds.modelsImport,
  changes: ['models'],
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
    recordSavedModel(ctx.ws, ctx.jobId, {
      name: r.name,
      arch: r.arch,
      spec: r.spec,
      dir: r.dir,
      method: r.method ?? 'imported',
      rate: r.rate,
      metrics: r.metrics,
      files: r.files.map((f) => ({ path: f.path, sha256: f.sha256, meta: { role: f.role, importedFrom: r.source } })),
    });
  },
});

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const modelsJobSpecs: AnyJobSpec[] = [compactJob, exportJob, latencyJob, importJob];
