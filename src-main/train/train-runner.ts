/**
 * The `train` job: baseline training, fine-tuning, and SFP / PSFP soft
 * filter pruning, resumable from per-epoch checkpoints. Runs in the job
 * process; every database write goes through ctx.record / onComplete.
 *
 * Determinism: weights come from hash(seed), the epoch's sample order from
 * hash(seed, epoch), augmentation from hash(seed, epoch, sample), PatchShuffle
 * from hash(seed, epoch, step); a checkpoint holds weights, BN statistics and
 * momentum. So a run resumed after a cancel or crash ends with the same
 * weights as an uninterrupted one (same backend).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/init.ts';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { findAlongChain } from '../core/jobs/job-store.ts';
import { jobFolder } from '../core/workspace.ts';
import { trainConfigSchema, type TrainConfig, type TrainMetrics, type TrainResult } from '../common/contract/train.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';
import type { Model } from '../nn/forward.ts';
import { expectedWeights, type GraphSpec } from '../nn/graph.ts';
import { disposeModel, initModel } from '../nn/init.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';
import { buildSpec } from '../models/specs.ts';
import { getModelRow } from '../models/model-rows.ts';
import { applySfpMask, filterNorms, maskKeeps } from '../prune/sfp-mask.ts';
import { fitPsfp, psfpRate } from '../prune/psfp-schedule.ts';
import { selectLayers, type LayerSelection } from '../prune/selection.ts';
import { countCost, paperStyleReduction } from '../prune/flops.ts';
import { openRunData, trainBatch, validationPart, type RunData } from './data.ts';
import { evaluate, reestimateBn, withRecalibratedBn, type EvalResult } from './evaluate.ts';
import { PREDICTIONS_FILE, predictionsFile } from './predictions.ts';
import { Sgd } from './sgd.ts';
import { GradientAccumulator, gradientPass, trainStep } from './step.ts';
import { learningRate } from './lr-schedule.ts';
import { batchLogInterval, methodOf } from './method.ts';
import { checkpointDir, latestCheckpoint, loadCheckpoint, saveCheckpoint, type RunState } from './checkpoint.ts';
import type { FilterRecordFile } from './filter-history.ts';

/** Training batches of the gradient pass that gives the Taylor criterion gradients when none were accumulated (before training, after a resume). */
const TAYLOR_PASS_BATCHES = 4;

class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** The model the run starts from: a registry architecture (seeded init) or a workspace model. */
function initialModel(cfg: TrainConfig, data: RunData, ctx: JobRunContext<unknown>): { model: Model; arch: string } {
  if (cfg.model) {
    const spec = buildSpec(cfg.model.arch, { ...cfg.model.options, inputSize: [data.height, data.width], channels: data.channels, numClasses: data.numClasses });
    return { model: initModel(spec, hashSeed(cfg.seed, 1)), arch: cfg.model.arch };
  }
  const row = getModelRow(ctx.readDb(), cfg.parentModelId!, 'parentModelId');
  const { model } = loadModel(path.resolve(ctx.workspaceDir, row.dir));
  const s = model.spec;
  if (s.input.height !== data.height || s.input.width !== data.width || s.input.channels !== data.channels || s.numClasses !== data.numClasses) {
    disposeModel(model);
    throw new Error(`parentModelId: model ${row.id} takes ${s.input.height}x${s.input.width}x${s.input.channels} images and ${s.numClasses} classes; the data is ${data.height}x${data.width}x${data.channels} with ${data.numClasses}.`);
  }
  return { model, arch: s.arch };
}

function selection(cfg: TrainConfig): LayerSelection {
  const sel: LayerSelection = {};
  if (cfg.prune?.roles) sel.roles = cfg.prune.roles;
  if (cfg.prune?.layerRates) sel.layerRates = cfg.prune.layerRates;
  return sel;
}


/**
 * The newest checkpoint along the resume chain: the job we continue, or, when
 * it died before its first checkpoint, the job it continued, and so on.
 */
function findResumeCheckpoint(ctx: JobRunContext<TrainConfig>): { dir: string; epoch: number } | null {
  return findAlongChain(ctx.readDb(), ctx.resume!.fromJobId, (id) => jobFolder(ctx.workspaceDir, id), (dir) => latestCheckpoint(dir));
}

export default async function runTrain(ctx: JobRunContext<TrainConfig>): Promise<TrainResult> {
  // Idempotent: the job process already chose the backend; direct callers (tests, benches) get the same set-up.
  await initEngine();
  const cfg = trainConfigSchema.parse(ctx.params);
  const check = (): void => {
    if (ctx.signal.aborted) throw new Cancelled();
  };
  const data = await openRunData(ctx.readDb(), cfg.model?.options.inputSize && !cfg.dataset.inputSize ? { ...cfg, dataset: { ...cfg.dataset, inputSize: cfg.model.options.inputSize } } : cfg);
  data.onSkip = (p, reason) => ctx.log(`Skipped sample ${p}: ${reason}`, 'warn');
  ctx.log(`Data: ${data.trainIdx.length} training, ${data.valIdx.length} validation, ${data.testIdx.length} test images of ${data.height}x${data.width}x${data.channels}, ${data.numClasses} classes.`);

  const sgd = new Sgd(cfg.optimizer);
  let model: Model;
  let arch: string;
  let state: RunState;
  const resumeFrom = ctx.resume ? findResumeCheckpoint(ctx) : null;
  if (resumeFrom) {
    ({ model, state } = loadCheckpoint(resumeFrom.dir, sgd));
    arch = model.spec.arch;
    ctx.log(`Resuming from ${resumeFrom.dir} after epoch ${state.epoch}.`);
  } else {
    ({ model, arch } = initialModel(cfg, data, ctx as JobRunContext<unknown>));
    state = { epoch: 0, history: [], pruneRates: [], trainSeconds: 0 };
    if (ctx.resume) ctx.log('No checkpoint to resume from; starting from the beginning.', 'warn');
  }

  let taylor: GradientAccumulator | null = null;
  try {
    const spec: GraphSpec = model.spec;
    const prune = cfg.prune;
    const curve = prune?.method === 'psfp' ? fitPsfp(prune.rate, cfg.epochs, prune.d) : null;
    const rateAt = (epoch: number): number => (!prune ? 0 : curve ? psfpRate(curve, epoch) : prune.rate);
    const roles = new Map(spec.nodes.flatMap((n) => (n.op === 'conv2d' ? [[n.name, n.role] as const] : [])));

    const params = new Map(expectedWeights(spec).filter((w) => w.trainable).map((w) => [w.name, model.weights.get(w.name) as tf.Variable]));
    const n = data.trainIdx.length;
    const batchSize = Math.min(cfg.batchSize, n);
    const shape: [number, number, number] = [data.height, data.width, data.channels];
    // Layers come from the target rate so every epoch records the same layers (PSFP starts at 0).
    const target = prune ? selectLayers(spec, prune.rate, selection(cfg)) : new Map<string, number>();
    // Taylor: kernel gradients summed over the training batches since the last mask.
    taylor = prune?.criterion === 'taylor' ? new GradientAccumulator([...target.keys()]) : null;
    const taylorSums = taylor;

    /** SFP step: recompute masks at `epoch` (0 = before training), and record norms and zeroed filters for the heatmap. */
    const mask = async (epoch: number): Promise<void> => {
      const rate = rateAt(epoch);
      // Per-layer expert rates grow in proportion to the schedule.
      const scale = prune!.rate > 0 ? rate / prune!.rate : 0;
      if (taylorSums?.empty) {
        // Nothing accumulated yet (before training, or right after a resume): a gradient pass over a few training batches.
        const batches = Math.min(TAYLOR_PASS_BATCHES, Math.max(1, Math.floor(n / batchSize)));
        for (let b = 0; b < batches; b++) {
          const batch = await trainBatch(data, data.trainIdx.subarray(b * batchSize, (b + 1) * batchSize), cfg.seed, -1);
          gradientPass(model, params, batch, shape, hashSeed(cfg.seed, epoch, b, 6), taylorSums.add);
        }
      }
      const records = applySfpMask(model, new Map([...target].map(([name, r]) => [name, r * scale])), {
        criterion: prune!.criterion,
        zeroBn: prune!.zeroBn,
        ...(taylor ? { gradSums: taylor.sums } : {}),
      });
      taylor?.reset();
      if (prune!.noRegrowth) sgd.setMasks(maskKeeps(model, records, prune!.zeroBn));
      if (prune!.reestimateBn) await reestimateBn(model, data, batchSize, prune!.bnRecalibrationBatches, hashSeed(cfg.seed, epoch, 7));
      const file = path.join(ctx.jobDir, 'prune', `epoch-${String(epoch).padStart(4, '0')}.json`);
      mkdirSync(path.dirname(file), { recursive: true });
      const body: FilterRecordFile = { epoch, rate, criterion: prune!.criterion, layers: [...records].map(([name, r]) => ({ name, role: roles.get(name) ?? 'other', rate: r.rate, norms: r.norms, zeroed: r.zeroed })) };
      writeFileSync(file, JSON.stringify(body));
      await ctx.record('prune-filters', { file, epoch, rate });
      state.pruneRates.push({ epoch, rate });
    };
    if (prune && !resumeFrom) await mask(0);
    if (prune?.noRegrowth && resumeFrom) {
      // The masks in force are the filters the checkpoint holds at exactly zero.
      const zeroed = new Map([...target.keys()].map((conv) => [conv, { zeroed: [...filterNorms(model.weights.get(`${conv}/kernel`)!)].flatMap((v, j) => (v === 0 ? [j] : [])) }]));
      sgd.setMasks(maskKeeps(model, zeroed, prune.zeroBn));
    }

    // Drop the last partial batch (as drop_last): tiny batches make BatchNorm statistics meaningless.
    const stepsPerEpoch = Math.max(1, Math.floor(n / batchSize));
    const valBatches = prune?.bnRecalibrationBatches ?? 0;
    // Per-batch curves: the mean loss of the last `logEvery` batches and the lr, at the global step (a resumed run goes on counting).
    const logEvery = batchLogInterval(stepsPerEpoch);
    // Per-sample predictions come from the final evaluation pass: the test split's, or without one the last epoch's validation pass (after the last mask, so the final model).
    const hasTest = data.test !== null && data.testIdx.length > 0;
    let finalVal: EvalResult | null = null;

    for (let epoch = state.epoch; epoch < cfg.epochs; epoch++) {
      const order = permutation(n, mulberry32(hashSeed(cfg.seed, epoch, 2)));
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      let windowLoss = 0;
      let windowSeen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        check();
        const idx = Int32Array.from(order.subarray(step * batchSize, (step + 1) * batchSize), (i) => data.trainIdx[i]!);
        const batch = await trainBatch(data, idx, cfg.seed, epoch);
        if (batch.n === 0) continue; // every image of this batch is undecodable (skipped and named)
        lr = learningRate(cfg, epoch, step, stepsPerEpoch);
        const r = trainStep(model, params, sgd, batch, shape, lr, hashSeed(cfg.seed, epoch, step, 3), taylor?.add);
        lossSum += r.loss * batch.n;
        correct += r.correct;
        seen += batch.n;
        windowLoss += r.loss * batch.n;
        windowSeen += batch.n;
        if ((step + 1) % logEvery === 0 || step === stepsPerEpoch - 1) {
          const at = { step: epoch * stepsPerEpoch + step + 1, epoch: epoch + (step + 1) / stepsPerEpoch };
          ctx.metrics([
            { ...at, name: 'batch_loss', value: windowLoss / windowSeen },
            { ...at, name: 'batch_lr', value: lr },
          ]);
          windowLoss = 0;
          windowSeen = 0;
        }
        const elapsed = (performance.now() - started) / 1000;
        const done = epoch - state.epoch + (step + 1) / stepsPerEpoch;
        const left = cfg.epochs - state.epoch - done;
        ctx.progress({
          fraction: (epoch + (step + 1) / stepsPerEpoch) / cfg.epochs,
          step: `epoch ${epoch + 1}/${cfg.epochs}, batch ${step + 1}/${stepsPerEpoch}, loss ${(lossSum / seen).toFixed(3)}`,
          throughput: { value: seen / Math.max(elapsed, 1e-6), unit: 'img/s' },
          etaSeconds: done > 0 ? (elapsed / ((step + 1) / stepsPerEpoch)) * left : null,
        });
      }
      const seconds = (performance.now() - started) / 1000;
      state.trainSeconds += seconds;
      const done = epoch + 1;
      if (prune && (done % prune.interval === 0 || done === cfg.epochs)) await mask(done);
      check();
      const val: EvalResult | null = data.valIdx.length ? await evaluate(model, data, data.val, data.valIdx, cfg.evalBatchSize, ctx.signal, !hasTest && done === cfg.epochs) : null;
      if (done === cfg.epochs) finalVal = val;
      const valBn = prune && val && valBatches > 0 ? await withRecalibratedBn(model, data, batchSize, valBatches, hashSeed(cfg.seed, done, 4), () => evaluate(model, data, data.val, data.valIdx, cfg.evalBatchSize, ctx.signal)) : null;
      const row: Record<string, number | null> = {
        epoch: done,
        loss: lossSum / seen,
        accuracy: correct / seen,
        lr,
        epoch_seconds: seconds,
        images_per_second: seen / seconds,
        val_loss: val?.loss ?? null,
        val_accuracy: val?.accuracy ?? null,
        val_accuracy_bn: valBn?.accuracy ?? null,
        prune_rate: prune ? rateAt(done) : null,
      };
      state.history.push(row);
      state.epoch = done;
      const points: MetricPoint[] = Object.entries(row)
        .filter((e): e is [string, number] => e[0] !== 'epoch' && e[1] !== null)
        .map(([name, value]) => ({ step: done, epoch: done, name, value }));
      ctx.metrics(points);
      ctx.log(`epoch ${done}/${cfg.epochs}: loss ${row.loss!.toFixed(4)} acc ${(row.accuracy! * 100).toFixed(2)}%${val ? ` val ${(val.accuracy * 100).toFixed(2)}%` : ''}${valBn ? ` (BN re-estimated ${(valBn.accuracy * 100).toFixed(2)}%)` : ''} ${row.images_per_second!.toFixed(1)} img/s`);
      const dir = checkpointDir(ctx.jobDir, done);
      await saveCheckpoint(dir, model, sgd, state);
      await ctx.record('checkpoint', { dir, epoch: done });
    }

    // Final evaluation on the test split (after the last mask), plus BN re-estimated accuracy for pruned runs.
    const last = state.history[state.history.length - 1] ?? {};
    const test = data.test && hasTest ? await evaluate(model, data, data.test, data.testIdx, cfg.evalBatchSize, ctx.signal, true) : null;
    // A run resumed after its last epoch's checkpoint has no validation pass of its own yet.
    if (!test && !finalVal?.predictions && data.valIdx.length) finalVal = await evaluate(model, data, data.val, data.valIdx, cfg.evalBatchSize, ctx.signal, true);
    const evaluated = test ? { on: 'test' as const, reader: data.test!, part: cfg.dataset.testSplit!, r: test } : finalVal ? { on: 'validation' as const, reader: data.val, part: validationPart(ctx.readDb(), cfg) ?? `held out of ${[cfg.dataset.trainSplit].flat().join('+')}`, r: finalVal } : null;
    if (evaluated?.r.predictions) {
      const p = evaluated.r.predictions;
      const file = path.join(ctx.jobDir, PREDICTIONS_FILE);
      mkdirSync(ctx.jobDir, { recursive: true });
      const body = predictionsFile({
        evaluatedOn: evaluated.on,
        part: evaluated.part,
        datasetId: cfg.dataset.id,
        classNames: data.classNames,
        sampleIds: Array.from(p.indices, (i) => evaluated.reader.sampleIds[i]!),
        labels: Array.from(p.labels),
        predicted: Array.from(p.predicted),
        confidence: p.confidence,
      });
      writeFileSync(file, JSON.stringify(body));
      await ctx.record('predictions', { file, evaluatedOn: evaluated.on, part: evaluated.part, count: p.labels.length, accuracy: evaluated.r.accuracy });
    }
    let accuracyBn: number | null = null;
    if (prune && valBatches > 0) {
      const target = test && data.test ? { reader: data.test, idx: data.testIdx } : data.valIdx.length ? { reader: data.val, idx: data.valIdx } : null;
      if (target) accuracyBn = (await withRecalibratedBn(model, data, batchSize, valBatches, hashSeed(cfg.seed, cfg.epochs, 5), () => evaluate(model, data, target.reader, target.idx, cfg.evalBatchSize, ctx.signal))).accuracy;
    }
    const finalPoints: MetricPoint[] = [];
    if (test) finalPoints.push({ step: cfg.epochs, epoch: cfg.epochs, name: 'test_accuracy', value: test.accuracy }, { step: cfg.epochs, epoch: cfg.epochs, name: 'test_loss', value: test.loss });
    if (accuracyBn !== null) finalPoints.push({ step: cfg.epochs, epoch: cfg.epochs, name: 'test_accuracy_bn', value: accuracyBn });
    if (finalPoints.length) ctx.metrics(finalPoints);

    const cost = countCost(spec);
    const metrics: TrainMetrics = {
      accuracy: test?.accuracy ?? last.val_accuracy ?? 0,
      valAccuracy: last.val_accuracy ?? null,
      valLoss: last.val_loss ?? null,
      testAccuracy: test?.accuracy ?? null,
      testLoss: test?.loss ?? null,
      accuracyBnRecalibrated: accuracyBn,
      trainLoss: last.loss ?? 0,
      trainAccuracy: last.accuracy ?? 0,
      imagesPerSecond: state.history.reduce((a, h) => a + (h.images_per_second ?? 0), 0) / Math.max(1, state.history.length),
      seconds: state.trainSeconds,
      params: cost.params,
      macs: cost.macs,
      flopsReductionPaper: prune ? paperStyleReduction(spec, prune.rate, selection(cfg)).reduction : null,
    };
    const modelDir = path.join(ctx.jobDir, 'model');
    await saveModel(model, modelDir, { kind: 'trained', method: methodOf(cfg), metrics, classNames: data.classNames });
    const method = methodOf(cfg);
    const dataset = ctx.readDb().prepare('SELECT name FROM datasets WHERE id = ?').get(cfg.dataset.id) as { name: string } | undefined;
    return {
      epochs: cfg.epochs,
      metrics,
      model: {
        dir: path.relative(ctx.workspaceDir, modelDir),
        name: cfg.name ?? `${arch} ${method}${prune ? ` ${Math.round(prune.rate * 100)}%` : ''} on ${dataset?.name ?? `dataset ${cfg.dataset.id}`}`,
        arch,
        method,
        rate: prune ? prune.rate : null,
        parentModelId: cfg.parentModelId ?? null,
        datasetId: cfg.dataset.id,
      },
      pruneRates: state.pruneRates,
      skippedSamples: { count: data.skipped.size, files: [...data.skipped.keys()].slice(0, 100) },
    };
  } finally {
    taylor?.reset();
    disposeModel(model);
    sgd.dispose();
  }
}
