/**
 * The train job's prune options end to end (in process, real tiny dataset):
 * every importance criterion reaches the mask (the records name it and zero
 * floor(N*rate) filters per layer), and `reestimateBn` leaves the final model
 * with BN statistics re-estimated after the last mask.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { useCpu } from '../models/tf-setup.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from './fixtures.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { trainJob } from '../../src-main/train/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { trainHandlers } from '../../src-main/train/api.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { trainConfigSchema, type TrainConfigInput } from '../../src-main/common/contract/train.ts';
import { pruneCriteria } from '../../src-main/common/contract/prune.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { FilterRecordFile } from '../../src-main/train/filter-history.ts';
import { loadModel } from '../../src-main/nn/model-file.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { openRunData } from '../../src-main/train/data.ts';
import { reestimateBn } from '../../src-main/train/evaluate.ts';
import { regrownFilters } from '../../src-main/prune/regrowth.ts';

function config(datasetId: number, prune: NonNullable<TrainConfigInput['prune']>): TrainConfigInput {
  return {
    dataset: { id: datasetId, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 1,
    batchSize: 16,
    optimizer: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    prune,
    seed: 3,
  };
}

describe('train job prune options', () => {
  let ws: Workspace;
  let cleanup: () => void;
  let datasetId: number;
  let ctx: ServiceContext;

  beforeAll(async () => {
    await useCpu();
    const t = tempDir('wb-prune-opts-');
    cleanup = t.cleanup;
    ws = Workspace.open(path.join(t.dir, 'ws'));
    datasetId = await importTinyIdx(ws, path.join(t.dir, 'idx'));
    ctx = { ws } as ServiceContext;
  });
  afterAll(() => {
    ws.close();
    cleanup();
  });

  it('refuses reestimateBn without re-estimation batches, naming the field', () => {
    let error: unknown = null;
    try {
      trainHandlers['train.validateConfig']({ config: config(datasetId, { method: 'sfp', rate: 0.3, reestimateBn: true, bnRecalibrationBatches: 0 }) }, ctx);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).field).toBe('config.prune.reestimateBn');
  });

  it('defaults keep the papers\' mask: l2, BN untouched, regrowth allowed, no BN re-estimation', () => {
    const p = trainConfigSchema.parse(config(datasetId, { method: 'sfp', rate: 0.3 })).prune!;
    expect([p.criterion, p.zeroBn, p.noRegrowth, p.reestimateBn]).toEqual(['l2', false, false, false]);
  });

  it.each([...pruneCriteria])('criterion %s: an SFP run masks every selected conv by it', async (criterion) => {
    const out = await runJobInProcess(ws, trainJob, config(datasetId, { method: 'sfp', rate: 0.4, criterion, bnRecalibrationBatches: 0 }));
    expect(out.status, out.error ?? '').toBe('succeeded');
    const files = ws.db.prepare("SELECT path FROM artifacts WHERE job_id = ? AND kind = 'prune-filters' ORDER BY id").all(out.jobId) as { path: string }[];
    expect(files.length).toBe(2);
    for (const f of files) {
      const rec = JSON.parse(readFileSync(ws.resolve(f.path), 'utf8')) as FilterRecordFile;
      expect(rec.criterion).toBe(criterion);
      expect(rec.layers.length).toBe(19);
      for (const l of rec.layers) expect(l.zeroed.length).toBe(Math.floor(l.norms.length * 0.4));
    }
  });

  it.each([true, false])('reestimateBn %s: the final model holds BN statistics re-estimated after the last mask only when asked', async (reestimate) => {
    const cfg = config(datasetId, { method: 'sfp', rate: 0.4, reestimateBn: reestimate, bnRecalibrationBatches: 2 });
    const out = await runJobInProcess(ws, trainJob, cfg);
    expect(out.status, out.error ?? '').toBe('succeeded');
    const { model } = loadModel(ws.resolve(out.result!.model.dir));
    try {
      const data = await openRunData(ws.db, trainConfigSchema.parse(cfg));
      const key = 'stage1/block1/bn1/movingVariance';
      const before = Array.from(model.weights.get(key)!.dataSync());
      // Re-estimating again on the same batches (no augmentation) changes nothing iff the run already did it.
      await reestimateBn(model, data, 16, 2, 99);
      const after = Array.from(model.weights.get(key)!.dataSync());
      const diff = Math.max(...after.map((v, i) => Math.abs(v - before[i]!)));
      if (reestimate) expect(diff).toBeLessThan(1e-5);
      else expect(diff).toBeGreaterThan(1e-3);
    } finally {
      disposeModel(model);
    }
  });

  it('regrowth rule: zeroed at the previous mask and at least half the median norm of the kept filters', () => {
    // Kept: 2, 4, 6 -> median 4, threshold 2.
    expect(regrownFilters([true, true, false, false, false, true], [2, 1.9, 2, 4, 6, 0])).toEqual([true, false, false, false, false, false]);
  });

  it.each([false, true])('noRegrowth %s: the filter history shows regrown filters only when they may regrow', async (noRegrowth) => {
    const out = await runJobInProcess(ws, trainJob, { ...config(datasetId, { method: 'sfp', rate: 0.4, noRegrowth, bnRecalibrationBatches: 0 }), epochs: 2 });
    expect(out.status, out.error ?? '').toBe('succeeded');
    const history = await trainHandlers['train.filterHistory']({ jobId: out.jobId }, ctx);
    expect(history.epochs).toEqual([0, 1, 2]);
    const regrown = history.layers.reduce((a, l) => a + l.regrown.flat().filter(Boolean).length, 0);
    if (noRegrowth) expect(regrown).toBe(0);
    else expect(regrown).toBeGreaterThan(0);
    for (const l of history.layers) expect(l.regrown[0]!.some(Boolean)).toBe(false);
  });
});
