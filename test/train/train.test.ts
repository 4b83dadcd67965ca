import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { useCpu } from '../models/tf-setup.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from './fixtures.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { trainJob } from '../../src-main/train/jobs.ts';
import { compactJob } from '../../src-main/models/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { trainHandlers } from '../../src-main/train/api.ts';
import { modelsHandlers } from '../../src-main/models/api.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { TrainConfigInput, TrainResult } from '../../src-main/common/contract/train.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';

const flipCrop = {
  steps: [
    { transform: 'horizontalFlip', options: { p: 0.5 } },
    { transform: 'padCrop', options: { padding: 1 } },
    { transform: 'normalize', options: { mean: [0.2], std: [0.3], scale: 255 } },
  ],
};

function config(datasetId: number, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    dataset: { id: datasetId, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 3,
    batchSize: 16,
    optimizer: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', minLr: 0 },
    augment: { spec: flipCrop },
    prune: { method: 'psfp', rate: 0.5, bnRecalibrationBatches: 2 },
    seed: 7,
    ...extra,
  };
}

function weightsOf(ws: Workspace, result: TrainResult): Buffer {
  return readFileSync(path.join(ws.resolve(result.model.dir), 'weights.bin'));
}

describe('train job', () => {
  let ws: Workspace;
  let cleanup: () => void;
  let datasetId: number;
  let ctx: ServiceContext;

  beforeAll(async () => {
    await useCpu();
    const t = tempDir('wb-train-');
    cleanup = t.cleanup;
    ws = Workspace.open(path.join(t.dir, 'ws'));
    datasetId = await importTinyIdx(ws, path.join(t.dir, 'idx'));
    ctx = { ws } as ServiceContext;
  });
  afterAll(() => {
    ws.close();
    cleanup();
  });

  const refusals: [string, (id: number) => unknown, string][] = [
    ['a pruning rate of 1', (id) => config(id, { prune: { method: 'sfp', rate: 1 } }), 'config.prune.rate'],
    ['an unknown architecture', (id) => ({ ...config(id), model: { arch: 'resnet21' } }), 'config.model.arch'],
    ['an input too small for the network', (id) => config(id, { model: { arch: 'resnet18' } }), 'model.options'],
    ['a dataset that does not exist', () => config(999), 'dataset.id'],
    ['a layer rate for a layer that does not exist', (id) => config(id, { prune: { method: 'sfp', rate: 0.3, layerRates: { 'stage9/conv': 0.5 } } }), 'prune.layerRates'],
  ];
  it.each(refusals)('refuses %s before the job starts, naming the field', (_label, make, field) => {
    let error: unknown = null;
    try {
      trainHandlers['train.validateConfig']({ config: make(datasetId) }, ctx);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).field).toBe(field);
    expect((error as ApiError).message).toContain(field.replace(/^config\./, ''));
  });

  it('refuses a dataset without labels', () => {
    const id = Number(ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('unlabelled', 'imagefolder', '/nowhere')").run().lastInsertRowid);
    ws.db.prepare("INSERT INTO samples (dataset_id, path, split) VALUES (?, 'a.png', 'train')").run(id);
    expect(() => trainHandlers['train.validateConfig']({ config: config(id) }, ctx)).toThrow(/no class labels/);
  });

  it('PSFP run: metrics per epoch, checkpoints, filter history, a model row; resume after cancel gives the same weights', async () => {
    const full = await runJobInProcess(ws, trainJob, config(datasetId));
    expect(full.status).toBe('succeeded');
    const result = full.result!;
    expect(result.pruneRates.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    expect(result.pruneRates[0]!.rate).toBe(0);
    expect(result.pruneRates[3]!.rate).toBe(0.5);
    expect(result.metrics.accuracyBnRecalibrated).not.toBeNull();

    const names = ws.db.prepare('SELECT DISTINCT name FROM metrics WHERE job_id = ?').all(full.jobId).map((r) => (r as { name: string }).name);
    for (const n of ['loss', 'accuracy', 'lr', 'epoch_seconds', 'images_per_second', 'val_accuracy', 'val_accuracy_bn', 'prune_rate', 'test_accuracy']) expect(names).toContain(n);
    const checkpoints = ws.db.prepare("SELECT meta FROM artifacts WHERE job_id = ? AND kind = 'checkpoint'").all(full.jobId);
    expect(checkpoints.length).toBe(3);

    const model = ws.db.prepare('SELECT * FROM models WHERE job_id = ?').get(full.jobId) as { id: number; name: string; method: string; rate: number; metrics: string; arch: string };
    expect(model.name).toBe('resnet20 psfp 50% on tiny');
    expect(trainJob.title(trainJob.params.parse(config(datasetId)), ws)).toMatch(/^Train resnet20 PSFP 50% on tiny, \d+ epochs$/);
    expect(trainJob.title(trainJob.params.parse(config(datasetId, { epochs: 1, prune: undefined })), ws)).toBe('Train resnet20 on tiny, 1 epoch');
    expect(model.method).toBe('psfp');
    expect(model.rate).toBe(0.5);
    expect(model.arch).toBe('resnet20');
    expect(JSON.parse(model.metrics).accuracy).toBeGreaterThan(0);

    const history = await trainHandlers['train.filterHistory']({ jobId: full.jobId }, ctx);
    expect(history.epochs).toEqual([0, 1, 2, 3]);
    const stem = history.layers.find((l) => l.name === 'stem/conv')!;
    expect(stem.masks[3]!.filter(Boolean).length).toBe(Math.floor(stem.filters * 0.5));
    expect(stem.norms[0]!.length).toBe(stem.filters);

    // Cancel during epoch 2, then resume from the epoch-1 checkpoint: the same final weights as uninterrupted.
    const cut = await runJobInProcess(ws, trainJob, config(datasetId), { onMetrics: (points) => points.some((p) => p.name === 'loss' && p.epoch === 1) });
    expect(cut.status).toBe('cancelled');
    const resumed = await runJobInProcess(ws, trainJob, config(datasetId), { resumeFrom: cut.jobId });
    expect(resumed.status).toBe('succeeded');
    expect(weightsOf(ws, resumed.result!).equals(weightsOf(ws, result))).toBe(true);
    expect(resumed.result!.metrics.testAccuracy).toBe(result.metrics.testAccuracy);
    const run = await trainHandlers['train.get']({ jobId: resumed.jobId }, ctx);
    expect(run.lineage.resumedFromJobId).toBe(cut.jobId);
    expect(run.checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3]);

    // Fine-tuning from the pruned model records the parent, and the models calls show lineage and FLOPs.
    const tuned = await runJobInProcess(ws, trainJob, { ...config(datasetId, { epochs: 1, prune: undefined }), model: undefined, parentModelId: model.id });
    expect(tuned.status).toBe('succeeded');
    const tunedRow = (await modelsHandlers['models.list']({ method: 'finetune' }, ctx))[0]!;
    expect(tunedRow.parentModelId).toBe(model.id);
    expect((await modelsHandlers['models.get']({ id: tunedRow.id }, ctx)).lineage.map((m) => m.id)).toEqual([model.id]);
    const flops = await modelsHandlers['models.flops']({ id: model.id }, ctx);
    expect(flops.paperStyle!.reduction).toBeGreaterThan(0.5);
    expect(flops.reduction).toBe(0);

    // Hard pruning: a really smaller model with the masked model's outputs, recorded with its parent.
    const compacted = await runJobInProcess(ws, compactJob, { modelId: model.id, benchBatch: 4 });
    expect(compacted.status).toBe('succeeded');
    expect(compacted.result!.metrics.maxAbsDiff).toBeLessThan(1e-4);
    const compactRow = (await modelsHandlers['models.list']({ method: 'compact' }, ctx))[0]!;
    expect(compactRow.parentModelId).toBe(model.id);
    const compactFlops = await modelsHandlers['models.flops']({ id: compactRow.id }, ctx);
    expect(compactFlops.params).toBeLessThan(flops.params);
    expect(compactFlops.reduction3x3).toBeGreaterThan(0.5);
  });
});
