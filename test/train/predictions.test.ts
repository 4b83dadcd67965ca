import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from './fixtures.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { trainJob } from '../../src-main/train/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { trainHandlers } from '../../src-main/train/api.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { RunPredictions, TrainConfigInput } from '../../src-main/common/contract/train.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { runWorkbench } from '../helpers/cli.ts';

function config(datasetId: number, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    dataset: { id: datasetId, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 2,
    batchSize: 16,
    evalBatchSize: 10, // several evaluation batches: predictions are gathered across them
    optimizer: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'constant' },
    seed: 3,
    ...extra,
  };
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a refusal');
}

/** What every answer must satisfy whatever the run learnt. */
function expectConsistent(p: RunPredictions, count: number, accuracy: number): void {
  expect(p.count).toBe(count);
  expect(p.confusion.flat().reduce((a, b) => a + b, 0)).toBe(count);
  const diagonal = p.confusion.reduce((a, row, i) => a + row[i]!, 0);
  expect(diagonal / count).toBeCloseTo(accuracy, 10);
  expect(p.accuracy).toBeCloseTo(accuracy, 10);
  expect(p.misclassified.total).toBe(count - diagonal);
  for (const c of p.classes) {
    expect(c.support).toBe(p.confusion[c.index]!.reduce((a, b) => a + b, 0));
    expect(c.correct).toBe(p.confusion[c.index]![c.index]);
    if (c.support) expect(c.recall).toBeCloseTo(c.correct / c.support, 12);
    if (c.predicted) expect(c.precision).toBeCloseTo(c.correct / c.predicted, 12);
  }
  const conf = p.misclassified.items.map((m) => m.confidence);
  expect(conf).toEqual([...conf].sort((a, b) => b - a));
  for (const m of p.misclassified.items) {
    expect(m.trueLabel).not.toBe(m.predictedLabel);
    expect(m.confidence).toBeGreaterThan(1 / p.classNames.length - 1e-6);
    expect(m.confidence).toBeLessThanOrEqual(1);
    expect(m.path).toMatch(/t10k|train/);
  }
}

describe('train.predictions', () => {
  let ws: Workspace;
  let wsDir: string;
  let cleanup: () => void;
  let datasetId: number;
  let ctx: ServiceContext;

  beforeAll(async () => {
    await useCpu();
    const t = tempDir('wb-preds-');
    cleanup = t.cleanup;
    wsDir = path.join(t.dir, 'ws');
    ws = Workspace.open(wsDir);
    datasetId = await importTinyIdx(ws, path.join(t.dir, 'idx'), { test: 36 });
    ctx = { ws } as ServiceContext;
  });
  afterAll(() => {
    ws.close();
    cleanup();
  });

  it('records the test split predictions of a real run: the confusion matrix sums to the test count and agrees with the reported test accuracy', async () => {
    const tensorsBefore = tf.memory().numTensors;
    // Two short epochs: a half-trained network, so that some test images are wrong.
    const out = await runJobInProcess(ws, trainJob, config(datasetId, { epochs: 2, dataset: { id: datasetId, validationFraction: 0.25, limit: 32 } }));
    expect(out.status).toBe('succeeded');
    // The run, its final evaluation with the per-sample predictions included, leaves no tensor behind.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const metrics = out.result!.metrics;
    const artifact = ws.db.prepare("SELECT path, meta FROM artifacts WHERE job_id = ? AND kind = 'predictions'").get(out.jobId) as { path: string; meta: string };
    expect(artifact.path).toMatch(/predictions\.json$/);
    expect(JSON.parse(artifact.meta)).toMatchObject({ evaluatedOn: 'test', part: 'test', count: 36 });

    const p = trainHandlers['train.predictions']({ jobId: out.jobId, offset: 0, limit: 1000 }, ctx) as RunPredictions;
    expect(p).toMatchObject({ jobId: out.jobId, fromJobId: out.jobId, datasetId, evaluatedOn: 'test', part: 'test' });
    expect(p.classNames).toHaveLength(4);
    expectConsistent(p, 36, metrics.testAccuracy!);
    // The fixture's test split has 9 images of each of its 4 classes.
    expect(p.classes.map((c) => c.support)).toEqual([9, 9, 9, 9]);
    // Every test sample once, with its own label.
    const labels = ws.db.prepare("SELECT id, label FROM samples WHERE dataset_id = ? AND split = 'test'").all(datasetId) as { id: number; label: number }[];
    const byId = new Map(labels.map((l) => [l.id, l.label]));
    for (const m of p.misclassified.items) expect(byId.get(m.sampleId)).toBe(m.trueLabel);

    // Pages and a confusion cell: the same order, cut.
    expect(p.misclassified.total).toBeGreaterThan(1);
    {
      const second = trainHandlers['train.predictions']({ jobId: out.jobId, offset: 1, limit: 1 }, ctx) as RunPredictions;
      expect(second.misclassified.items.map((m) => m.sampleId)).toEqual([p.misclassified.items[1]!.sampleId]);
      const cell = p.misclassified.items[0]!;
      const only = trainHandlers['train.predictions']({ jobId: out.jobId, offset: 0, limit: 1000, trueLabel: cell.trueLabel, predictedLabel: cell.predictedLabel }, ctx) as RunPredictions;
      expect(only.misclassified.total).toBe(p.confusion[cell.trueLabel]![cell.predictedLabel]);
      expect(only.misclassified.items.every((m) => m.trueLabel === cell.trueLabel && m.predictedLabel === cell.predictedLabel)).toBe(true);
    }
    expect(refusal(() => trainHandlers['train.predictions']({ jobId: out.jobId, offset: 0, limit: 10, trueLabel: 4 }, ctx)).field).toBe('trueLabel');

    // The real CLI prints the same matrix and the most confident mistake first.
    const json = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'results', String(out.jobId), '--limit', '2'], { timeoutMs: 60_000 });
    expect(json.code, json.stderr).toBe(0);
    const viaCli = JSON.parse(json.stdout) as RunPredictions;
    expect(viaCli.confusion).toEqual(p.confusion);
    expect(viaCli.misclassified.items).toEqual(p.misclassified.items.slice(0, 2));
    const text = await runWorkbench(['--workspace', wsDir, 'runs', 'results', String(out.jobId)], { timeoutMs: 60_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`test results on test, 36 images, ${(metrics.testAccuracy! * 100).toFixed(2)}% correct`);
    expect(text.stdout).toContain(p.misclassified.items[0]!.path!);
  }, 120_000);

  it('evaluates the validation set when the run has no test split', async () => {
    const out = await runJobInProcess(ws, trainJob, config(datasetId, { epochs: 1, dataset: { id: datasetId, validationFraction: 0.25, testSplit: null } }));
    expect(out.status).toBe('succeeded');
    const p = trainHandlers['train.predictions']({ jobId: out.jobId, offset: 0, limit: 1000 }, ctx) as RunPredictions;
    expect(p.evaluatedOn).toBe('validation');
    expect(p.part).toBe('held out of train');
    // 64 training images, a quarter held out.
    expectConsistent(p, 16, out.result!.metrics.valAccuracy!);
  });

  it('reads a resumed run from its last job, and refuses what has none, naming the field', async () => {
    const cut = await runJobInProcess(ws, trainJob, config(datasetId), { onMetrics: (points) => points.some((q) => q.name === 'loss' && q.epoch === 1) });
    expect(cut.status).toBe('cancelled');
    const notFinished = refusal(() => trainHandlers['train.predictions']({ jobId: cut.jobId, offset: 0, limit: 10 }, ctx));
    expect(notFinished.field).toBe('jobId');
    expect(notFinished.message).toMatch(/not finished/);

    const resumed = await runJobInProcess(ws, trainJob, config(datasetId), { resumeFrom: cut.jobId });
    expect(resumed.status).toBe('succeeded');
    const p = trainHandlers['train.predictions']({ jobId: cut.jobId, offset: 0, limit: 1000 }, ctx) as RunPredictions;
    expect(p.fromJobId).toBe(resumed.jobId);
    expectConsistent(p, 36, resumed.result!.metrics.testAccuracy!);

    const importJob = (ws.db.prepare("SELECT id FROM jobs WHERE kind = 'datasets.import'").get() as { id: number }).id;
    const notTraining = refusal(() => trainHandlers['train.predictions']({ jobId: importJob, offset: 0, limit: 10 }, ctx));
    expect(notTraining.field).toBe('jobId');
    expect(notTraining.message).toMatch(/not a training run/);

    // A run made before predictions were recorded: no artifact row.
    ws.db.prepare("DELETE FROM artifacts WHERE job_id = ? AND kind = 'predictions'").run(resumed.jobId);
    const old = refusal(() => trainHandlers['train.predictions']({ jobId: resumed.jobId, offset: 0, limit: 10 }, ctx));
    expect(old.field).toBe('jobId');
    expect(old.message).toMatch(/no predictions recorded.*before/);
  });
});
