/**
 * A job that saves a model or records on one says so once committed: the host's event bus
 * carries `data.changed: models` after the job's result is in the database (the renderer's
 * model lists follow that event), and a job that touches no model says nothing of models.
 * Real job processes on a real temp workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { addWorkspaceModel } from './workspace-models.ts';

describe('data.changed for models', () => {
  let ws: Workspace;
  let events: EventBus;
  let jobs: JobManager;
  let cleanup: () => void;
  let maskedId: number;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const t = tempDir();
    cleanup = t.cleanup;
    ws = Workspace.open(path.join(t.dir, 'ws'));
    events = new EventBus();
    jobs = new JobManager(ws, events, { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.5 }, 3);
    applySfpMask(model, selectLayers(model.spec, 0.5));
    maskedId = await addWorkspaceModel(ws, model, { name: 'masked', method: 'sfp', rate: 0.5, metrics: { accuracy: 0.5 } });
    disposeModel(model);
  });
  afterAll(async () => {
    await jobs.close();
    ws.close();
    cleanup();
  });

  /** Runs a job and notes, for each data.changed, what it named and how many models rows and latency records were committed at that moment. */
  async function runWatching(kind: string, params: unknown) {
    const seen: { what: string; models: number; latencies: number; jobStatus: string }[] = [];
    let jobId = 0;
    const off = events.on('data.changed', ({ what }) => {
      const counts = ws.db.prepare("SELECT COUNT(*) AS models, SUM(json_extract(metrics, '$.latency') IS NOT NULL) AS latencies FROM models").get() as { models: number; latencies: number };
      const status = jobId ? (ws.db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId) as { status: string }).status : '';
      seen.push({ what, ...counts, jobStatus: status });
    });
    jobId = jobs.submit(kind, params, { backend: 'cpu' }).id;
    const done = await jobs.waitFor(jobId);
    off();
    return { done, seen: seen.filter((s) => s.what !== 'jobs') };
  }

  it('a compact job: once, with the new model already stored and the job succeeded', async () => {
    const { done, seen } = await runWatching('models.compact', { modelId: maskedId, benchBatch: 2 });
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(seen).toEqual([{ what: 'models', models: 2, latencies: 0, jobStatus: 'succeeded' }]);
  });

  it('a latency job: once, with the latency already in the model metrics', async () => {
    const { done, seen } = await runWatching('models.latency', { modelId: maskedId, batchSize: 2, warmup: 1, runs: 2 });
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(seen).toEqual([{ what: 'models', models: 2, latencies: 1, jobStatus: 'succeeded' }]);
  });

  it('a job that fails, and one that touches no model, say nothing of models', async () => {
    // A model whose weights file was cut short: the compact job fails loading it.
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.5 }, 4);
    const brokenId = await addWorkspaceModel(ws, model, { name: 'broken', method: 'sfp', rate: 0.5 });
    disposeModel(model);
    const dir = ws.resolve((ws.db.prepare('SELECT dir FROM models WHERE id = ?').get(brokenId) as { dir: string }).dir);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.bin'))) writeFileSync(path.join(dir, f), Buffer.alloc(8));
    const failed = await runWatching('models.compact', { modelId: brokenId, benchBatch: 2 });
    expect(failed.done.status).toBe('failed');
    expect(failed.seen).toEqual([]);
    const verify = await runWatching('workspace.verify', {});
    expect(verify.done.status, verify.done.error ?? '').toBe('succeeded');
    expect(verify.seen).toEqual([]);
  });
});
