/**
 * The `prune.sensitivity` job end to end: a tiny ResNet-20 trained in process,
 * then the scan through a real job process (fork launcher, as the app runs it):
 * per stage, accuracy at each rate with BN re-estimated, stored as the job's
 * result; and the result turned into `prune.layerRates` that a train config accepts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { useCpu } from '../models/tf-setup.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from './fixtures.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { trainJob } from '../../src-main/train/jobs.ts';
import { trainHandlers } from '../../src-main/train/api.ts';
import { sensitivityGroups } from '../../src-main/train/sensitivity-groups.ts';
import { buildSpec } from '../../src-main/models/specs.ts';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import { layerRatesFromSensitivity, type SensitivityResult } from '../../src-main/common/contract/prune.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { pruneHandlers } from '../../src-main/prune/api.ts';

describe('prune.sensitivity', () => {
  let ws: Workspace;
  let jobs: JobManager;
  let cleanup: () => void;
  let datasetId: number;
  let modelId: number;
  let wsDir: string;
  let closed = false;

  beforeAll(async () => {
    await useCpu();
    const t = tempDir('wb-sens-');
    cleanup = t.cleanup;
    wsDir = path.join(t.dir, 'ws');
    ws = Workspace.open(wsDir);
    datasetId = await importTinyIdx(ws, path.join(t.dir, 'idx'));
    const trained = await runJobInProcess(ws, trainJob, {
      dataset: { id: datasetId, validationFraction: 0 },
      model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
      epochs: 3,
      batchSize: 16,
      optimizer: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      augment: { spec: { steps: [{ transform: 'normalize', options: { mean: [0.2], std: [0.3], scale: 255 } }] } },
      seed: 1,
    });
    if (trained.status !== 'succeeded') throw new Error(trained.error ?? 'training failed');
    modelId = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(trained.jobId) as { id: number }).id;
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
  }, 60_000);
  afterAll(async () => {
    if (!closed) {
      await jobs.close();
      ws.close();
    }
    cleanup();
  });

  it('groups by conv (every prunable conv) or by stage', () => {
    const spec = buildSpec('resnet20', { inputSize: [8, 8], channels: 1, numClasses: 4 });
    expect(sensitivityGroups(spec, 'conv')).toHaveLength(19);
    expect(sensitivityGroups(spec, 'stage').map((g) => [g.name, g.convs.length])).toEqual([['stem', 1], ['stage1', 6], ['stage2', 6], ['stage3', 6]]);
  });

  it('refuses before queueing: a missing test split and a rate of 1, naming the field', () => {
    let error: unknown = null;
    try {
      jobs.submit(jobKinds.pruneSensitivity, { modelId, dataset: { id: datasetId, testSplit: 'nope' } });
    } catch (err) {
      error = err;
    }
    expect((error as ApiError).field).toBe('dataset.testSplit');
    expect(() => jobs.submit(jobKinds.pruneSensitivity, { modelId, dataset: { id: datasetId }, rates: [0.5, 1] })).toThrow(/rates/);
  });

  it('scans each stage alone at each rate in a job process and stores accuracy vs rate as the result', async () => {
    const submitted = jobs.submit(jobKinds.pruneSensitivity, { modelId, dataset: { id: datasetId }, granularity: 'stage', rates: [0.25, 0.9], bnRecalibrationBatches: 2, batchSize: 16 }, { backend: 'cpu' });
    const done = await jobs.waitFor(submitted.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    const row = ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(done.id) as { result: string };
    const result = JSON.parse(row.result) as SensitivityResult;
    expect(result).toMatchObject({ modelId, arch: 'resnet20', criterion: 'l2', granularity: 'stage', rates: [0.25, 0.9], count: 32 });
    expect(result.groups.map((g) => g.name)).toEqual(['stem', 'stage1', 'stage2', 'stage3']);
    for (const g of result.groups) {
      expect(g.accuracy).toHaveLength(2);
      for (const a of g.accuracy) expect(a).toBeGreaterThanOrEqual(0);
    }
    // The trained model learned the task, and pruning 90% of a stage alone hurts somewhere.
    expect(result.baseline).toBeGreaterThan(0.5);
    expect(Math.min(...result.groups.map((g) => g.accuracy[1]!))).toBeLessThan(result.baseline);

    // "Use as layer rates": a per-conv table a train config accepts, also served by the prune.layerRates call.
    const rates = layerRatesFromSensitivity(result, 0.05);
    const served = await pruneHandlers['prune.layerRates']({ jobId: done.id, maxDrop: 0.05 }, { ws } as ServiceContext);
    expect(served.layerRates).toEqual(rates);
    const trainId = (ws.db.prepare("SELECT id FROM jobs WHERE kind = 'train.run' LIMIT 1").get() as { id: number }).id;
    await expect(async () => pruneHandlers['prune.layerRates']({ jobId: trainId, maxDrop: 0.05 }, { ws } as ServiceContext)).rejects.toThrow(/not a sensitivity scan/);
    expect(Object.keys(rates)).toHaveLength(19);
    const ok = await trainHandlers['train.validateConfig'](
      { config: { dataset: { id: datasetId }, parentModelId: modelId, epochs: 1, prune: { method: 'sfp', rate: 0.3, layerRates: rates } } },
      { ws } as ServiceContext,
    );
    expect(ok.config.prune!.layerRates).toEqual(rates);
  }, 60_000);

  it('layer rates: per group the largest rate within the allowed drop, 0 when none', () => {
    const result: SensitivityResult = {
      modelId: 1, arch: 'resnet20', criterion: 'l2', granularity: 'stage', rates: [0.1, 0.5, 0.9], baseline: 0.9, count: 100,
      groups: [
        { name: 'stem', convs: ['stem/conv'], accuracy: [0.9, 0.885, 0.5] },
        { name: 'stage1', convs: ['a', 'b'], accuracy: [0.7, 0.6, 0.5] },
        { name: 'stage2', convs: ['c'], accuracy: [0.9, 0.9, 0.89] },
      ],
    };
    expect(layerRatesFromSensitivity(result, 0.02)).toEqual({ 'stem/conv': 0.5, a: 0, b: 0, c: 0.9 });
  });

  it('runs from the CLI: workbench prune sensitivity prints the table and the layer rates', async () => {
    await jobs.close();
    ws.close();
    closed = true;
    const r = await runWorkbench(['--workspace', wsDir, '--json', 'prune', 'sensitivity', '--model', String(modelId), '--dataset', String(datasetId), '--stage', '--rates', '0.5', '--bn-batches', '1', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as SensitivityResult & { status: string; layerRates: Record<string, number> };
    expect(out.status).toBe('succeeded');
    expect(out.groups.map((g) => g.accuracy.length)).toEqual([1, 1, 1, 1]);
    expect(Object.keys(out.layerRates)).toHaveLength(19);
    const bad = await runWorkbench(['--workspace', wsDir, 'prune', 'sensitivity', '--model', '999', '--dataset', String(datasetId)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Model 999 does not exist/);
  }, 60_000);
});
