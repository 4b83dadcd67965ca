import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import type { JobSummary, LatencyRecord } from '../../src-main/common/contract/index.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { addWorkspaceModel } from './workspace-models.ts';

/** The contract calls of this domain, through the same dispatch every host uses. */
describe('export, latency and import calls', () => {
  let core: WorkbenchCore;
  let cleanup: () => void;
  let root: string;
  let modelId: number;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const t = tempDir();
    cleanup = t.cleanup;
    root = t.dir;
    core = openCore({ workspaceDir: path.join(root, 'ws') });
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.25 }, 1);
    modelId = await addWorkspaceModel(core.ctx.ws, model, { name: 'tiny', metrics: { accuracy: 0.3 } });
    disposeModel(model);
  });
  afterAll(async () => {
    await core.close();
    cleanup();
  });

  it('latency.start queues a models.latency job whose result lands in the model metrics', async () => {
    const env = await core.dispatch('models.latency', { modelId, batchSize: 2, warmup: 0, runs: 2, onnxRuntime: true, backend: 'cpu' });
    expect(env.ok).toBe(true);
    const job = (env as { result: JobSummary }).result;
    expect(job.kind).toBe('models.latency');
    expect((await core.ctx.jobs.waitFor(job.id)).status).toBe('succeeded');
    const row = core.ctx.ws.db.prepare('SELECT metrics FROM models WHERE id = ?').get(modelId) as { metrics: string };
    const latency = (JSON.parse(row.metrics) as { latency: LatencyRecord }).latency;
    expect(Object.keys(latency.tfjs).sort()).toEqual(['1', '2']);
    expect(Object.keys(latency.onnxRuntime ?? {}).sort()).toEqual(['1', '2']);
    // The comparison page shows it.
    const second = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.25 }, 2);
    const other = await addWorkspaceModel(core.ctx.ws, second, { name: 'other' });
    disposeModel(second);
    const cmp = await core.dispatch('models.compare', { ids: [modelId, other] });
    expect(cmp).toMatchObject({ ok: true, result: { scatter: { accuracyVsLatency: [{ modelId, x: latency.tfjs['1']!.meanMs, y: 0.3 }] } } });
  });

  it('refuses bad requests with the field to blame', async () => {
    expect(await core.dispatch('models.export', { modelId, format: 'pdf' })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'format' } });
    expect(await core.dispatch('models.export', { modelId: 999, format: 'onnx' })).toMatchObject({ ok: false, error: { code: 'not_found', field: 'modelId' } });
    expect(await core.dispatch('models.import', { path: root })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'path' } });
    expect(await core.dispatch('models.compare', { ids: [] })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'ids' } });
    // One model is a valid request: its own costs, measured and ready to compact or export.
    expect(await core.dispatch('models.compare', { ids: [modelId] })).toMatchObject({ ok: true, result: { models: [{ id: modelId }] } });
  });
});
