/**
 * The `prune.sensitivity` runner: for each group (conv or stage) and rate,
 * mask only that group by the criterion, re-estimate BN statistics on a few
 * training batches, evaluate on the test split, and restore the weights and
 * statistics before the next point. The model is never saved.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/init.ts';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { jobRow } from '../core/jobs/job-store.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { pruneSensitivityConfigSchema, type PruneSensitivityConfig, type SensitivityResult } from '../common/contract/prune.ts';
import { trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../common/contract/train.ts';
import { hashSeed } from '../common/random.ts';
import { getModelRow } from '../models/model-rows.ts';
import { loadModel } from '../nn/model-file.ts';
import { disposeModel } from '../nn/init.ts';
import { expectedWeights } from '../nn/graph.ts';
import type { Model } from '../nn/forward.ts';
import { applySfpMask } from '../prune/sfp-mask.ts';
import { openRunData, trainBatch, type RunData } from './data.ts';
import { evaluate, withRecalibratedBn } from './evaluate.ts';
import { GradientAccumulator, gradientPass } from './step.ts';
import { sensitivityGroups } from './sensitivity-groups.ts';

/** Training batches of the gradient pass that gives the Taylor criterion its gradients. */
const TAYLOR_PASS_BATCHES = 4;

/** The data as the model's training run saw it: its augmentation pipeline gives the evaluation normalisation. */
function dataConfig(cfg: PruneSensitivityConfig, model: Model, trainedBy: TrainConfig | null): TrainConfig {
  const input: TrainConfigInput = {
    dataset: {
      id: cfg.dataset.id,
      trainSplit: cfg.dataset.trainSplit,
      testSplit: cfg.dataset.testSplit,
      validationFraction: 0,
      inputSize: [model.spec.input.height, model.spec.input.width],
      channels: model.spec.input.channels === 1 ? 1 : 3,
      ...(cfg.dataset.testLimit !== undefined ? { testLimit: cfg.dataset.testLimit } : {}),
    },
    parentModelId: cfg.modelId,
    epochs: 1,
    seed: cfg.seed,
    ...(trainedBy?.augment ? { augment: trainedBy.augment } : {}),
  };
  return trainConfigSchema.parse(input);
}

export default async function runSensitivity(ctx: JobRunContext<PruneSensitivityConfig>): Promise<SensitivityResult> {
  await initEngine();
  const cfg = pruneSensitivityConfigSchema.parse(ctx.params);
  const db = ctx.readDb();
  const row = getModelRow(db, cfg.modelId, 'modelId');
  const job = row.job_id !== null ? jobRow(db, row.job_id) : undefined;
  const trainedBy = job && job.kind === jobKinds.trainRun ? (JSON.parse(job.params) as TrainConfig) : null;
  const { model } = loadModel(path.resolve(ctx.workspaceDir, row.dir));
  const taylor = cfg.criterion === 'taylor' ? new GradientAccumulator(sensitivityGroups(model.spec, 'conv').map((g) => g.name)) : null;
  try {
    const data: RunData = await openRunData(db, dataConfig(cfg, model, trainedBy));
    if (!data.test || data.testIdx.length === 0) throw new Error(`dataset.testSplit: dataset ${cfg.dataset.id} has no labelled samples in split "${cfg.dataset.testSplit}".`);
    if (data.numClasses !== model.spec.numClasses) throw new Error(`modelId: model ${row.id} has ${model.spec.numClasses} classes, dataset ${cfg.dataset.id} has ${data.numClasses}.`);
    const test = data.test;
    const batchSize = Math.min(cfg.batchSize, data.trainIdx.length);
    const groups = sensitivityGroups(model.spec, cfg.granularity);
    ctx.log(`Scanning ${groups.length} ${cfg.granularity === 'conv' ? 'convs' : 'stages'} at ${cfg.rates.length} rates by ${cfg.criterion} on ${data.testIdx.length} test images.`);

    const measure = async (point: number): Promise<number> => {
      if (ctx.signal.aborted) throw new Error('cancelled');
      const run = (): ReturnType<typeof evaluate> => evaluate(model, data, test, data.testIdx, cfg.evalBatchSize, ctx.signal);
      const r = cfg.bnRecalibrationBatches > 0 ? await withRecalibratedBn(model, data, batchSize, cfg.bnRecalibrationBatches, hashSeed(cfg.seed, point, 4), run) : await run();
      return r.accuracy;
    };

    if (taylor) {
      const params = new Map(expectedWeights(model.spec).filter((w) => w.trainable).map((w) => [w.name, model.weights.get(w.name) as tf.Variable]));
      const batches = Math.min(TAYLOR_PASS_BATCHES, Math.max(1, Math.floor(data.trainIdx.length / batchSize)));
      for (let b = 0; b < batches; b++) {
        const batch = await trainBatch(data, data.trainIdx.subarray(b * batchSize, (b + 1) * batchSize), cfg.seed, -1);
        gradientPass(model, params, batch, [data.height, data.width, data.channels], hashSeed(cfg.seed, b, 6), taylor.add);
      }
    }

    const baseline = await measure(0);
    ctx.log(`Unpruned: ${(baseline * 100).toFixed(2)}%.`);
    const total = groups.length * cfg.rates.length;
    const started = performance.now();
    let done = 0;
    const out: SensitivityResult['groups'] = [];
    for (const g of groups) {
      // A mask without zeroBn touches only the kernels: those are restored after each point.
      const saved = new Map(g.convs.map((conv) => [conv, tf.clone(model.weights.get(`${conv}/kernel`)!)]));
      const accuracy: number[] = [];
      try {
        for (const rate of cfg.rates) {
          applySfpMask(model, new Map(g.convs.map((c) => [c, rate])), { criterion: cfg.criterion, ...(taylor ? { gradSums: taylor.sums } : {}) });
          accuracy.push(await measure(++done));
          for (const [conv, t] of saved) (model.weights.get(`${conv}/kernel`) as tf.Variable).assign(t);
          const elapsed = (performance.now() - started) / 1000;
          ctx.progress({ fraction: done / total, step: `${g.name} at ${Math.round(rate * 100)}%`, etaSeconds: (elapsed / done) * (total - done) });
        }
      } finally {
        for (const t of saved.values()) t.dispose();
      }
      ctx.metrics(cfg.rates.map((rate, i) => ({ step: out.length, epoch: null, name: `accuracy_${Math.round(rate * 100)}`, value: accuracy[i]! })));
      ctx.log(`${g.name}: ${accuracy.map((a, i) => `${Math.round(cfg.rates[i]! * 100)}% ${(a * 100).toFixed(1)}`).join(', ')}`);
      out.push({ name: g.name, convs: g.convs, accuracy });
    }
    return { modelId: row.id, arch: model.spec.arch, criterion: cfg.criterion, granularity: cfg.granularity, rates: cfg.rates, baseline, count: data.testIdx.length, groups: out };
  } finally {
    taylor?.reset();
    disposeModel(model);
  }
}
