import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { getModelRow, insertModelRow } from './model-rows.ts';

export const COMPACT_KIND = 'model.compact';

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
  params: compactParams,
  title: (p) => `Compact model ${p.modelId} (remove zeroed filters)`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    const row = getModelRow(ws.db, p.modelId, 'modelId');
    if (!existsSync(path.join(ws.resolve(row.dir), 'model.json'))) throw new Error(`modelId: the files of model ${p.modelId} are missing (${row.dir}).`);
  },
  load: () => import('./compact-runner.ts'),
  onComplete(ctx, result) {
    const dir = ctx.ws.resolve(result.model.dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { spec: unknown };
    const id = insertModelRow(ctx.ws.db, {
      name: result.model.name,
      arch: result.model.arch,
      spec: JSON.stringify(manifest.spec),
      dir: result.model.dir,
      parentModelId: result.model.parentModelId,
      datasetId: result.model.datasetId,
      jobId: ctx.jobId,
      method: 'compact',
      rate: result.model.rate,
      metrics: result.metrics,
    });
    for (const f of ['model.json', 'weights.bin']) insertArtifact(ctx.ws, { kind: 'weights', absPath: path.join(dir, f), jobId: ctx.jobId, modelId: id });
  },
});

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const modelsJobSpecs: AnyJobSpec[] = [compactJob];
