import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { findAlongChain } from '../core/jobs/job-store.ts';
import { jobFolder } from '../core/workspace.ts';
import type { LocalizeTrainParams } from '../common/contract/localize.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { buildSpec } from '../models/registry.ts';
import { forward, updateRunningStats } from '../nn/forward.ts';
import type { BatchStats, Model } from '../nn/forward.ts';
import { initModel, trainableVariables, disposeModel } from '../nn/init.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import { startEngine } from '../engine/start.ts';
import { Rng, hashSeed, shuffled } from '../common/random.ts';
import { localizationSpec, SPG_BRANCHES, type SpgBranch } from './head.ts';
import { mapsOfClass, spgLosses } from './spg.ts';
import { localizeInput } from './input.ts';

export interface LocalizeTrainResult {
  modelDir: string;
  name: string;
  arch: string;
  method: 'cam' | 'spg';
  datasetId: number;
  initFromModelId: number | null;
  numClasses: number;
  classNames: string[];
  imageSize: [number, number];
  channels: number;
  finalLoss: number;
  finalAccuracy: number;
  images: number;
  epochs: number;
  backend: string;
}

const CHECKPOINT = 'checkpoint';

/** The epoch's learning rate under `lrSchedule` (cosine: from learningRate at epoch 1 towards 0). */
export function learningRateAt(p: Pick<LocalizeTrainParams, 'learningRate' | 'lrSchedule' | 'epochs'>, epoch: number): number {
  if (p.lrSchedule === 'constant') return p.learningRate;
  return (p.learningRate * (1 + Math.cos((Math.PI * (epoch - 1)) / p.epochs))) / 2;
}

/** Copies every weight whose name and shape the source model shares (the backbone); returns how many. */
function copyShared(model: Model, source: Model): number {
  let copied = 0;
  for (const [name, target] of model.weights) {
    const w = source.weights.get(name);
    if (!w || w.shape.join('x') !== target.shape.join('x')) continue;
    (target as tf.Variable).assign(w);
    copied++;
  }
  return copied;
}

/** The newest checkpoint along the resume chain (the job we continue, or the one it continued, ...). */
function resumeCheckpoint(ctx: JobRunContext<LocalizeTrainParams>): { dir: string; epoch: number } | null {
  if (!ctx.resume) return null;
  return findAlongChain(ctx.readDb(), ctx.resume.fromJobId, (id) => jobFolder(ctx.workspaceDir, id), (dir) => {
    const state = path.join(dir, CHECKPOINT, 'state.json');
    return existsSync(state) ? { dir: path.join(dir, CHECKPOINT), epoch: (JSON.parse(readFileSync(state, 'utf8')) as { epoch: number }).epoch } : null;
  });
}

/**
 * The `localize.train` job: a registry backbone with the CAM head (and SPG's
 * branches), trained on image labels only. After each epoch the weights are
 * saved to `<job>/checkpoint` (written beside it, then renamed), so a resumed
 * job continues after the last finished epoch with the same data order; the
 * momentum buffers restart from zero.
 */
export default async function run(ctx: JobRunContext<LocalizeTrainParams>): Promise<LocalizeTrainResult> {
  const p = ctx.params;
  const engine = await startEngine();
  const db = ctx.readDb();
  const hasTrain = db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'train' LIMIT 1").get(p.datasetId) !== undefined;
  const dataset = db.prepare('SELECT name FROM datasets WHERE id = ?').get(p.datasetId) as { name: string };
  const reader = await openDatasetReader(db, p.datasetId, { ...(hasTrain ? { split: 'train' } : {}), ...(p.imageSize ? { size: p.imageSize } : {}) });
  const [h, w] = [reader.height, reader.width];
  const channels = reader.channels;
  let usable: number[] = [];
  for (let i = 0; i < reader.count; i++) if (reader.labels[i]! >= 0) usable.push(i);
  if (p.limit !== undefined && p.limit < usable.length) usable = shuffled(usable.length, new Rng(p.seed).fn()).slice(0, p.limit).map((k) => usable[k]!);
  const numClasses = reader.classNames.length;
  if (numClasses < 2) throw new Error(`datasetId: dataset ${p.datasetId} has ${numClasses} class; localization from labels needs at least 2.`);

  const backbone = buildSpec(p.arch, { inputSize: [h, w], numClasses, channels, widthMultiplier: p.widthMultiplier });
  const { spec, layout } = localizationSpec(backbone, p.method === 'spg' ? SPG_BRANCHES : [], p.spg.branchChannels);
  const model = initModel(spec, p.seed);
  // Each SPG branch's last conv starts at zero, so its logits start at 0 (BCE ln 2 per branch):
  // at random init on a trained backbone they reached tens, a BCE of ~47 against a CE of 2.9,
  // whose gradients through the backbone undid the classifier (the branches still learn: the
  // zero kernel gets a gradient from the first step).
  for (const b of SPG_BRANCHES) {
    const out = layout.branches[b]?.output;
    const kernel = out ? model.weights.get(`${out}/kernel`) : undefined;
    if (kernel) (kernel as tf.Variable).assign(tf.zerosLike(kernel));
  }
  let startEpoch = 1;
  const resumeFrom = resumeCheckpoint(ctx);
  if (resumeFrom) {
    const { model: saved } = loadModel(resumeFrom.dir);
    copyShared(model, saved);
    disposeModel(saved);
    startEpoch = resumeFrom.epoch + 1;
    ctx.log(`Resuming from ${resumeFrom.dir} after epoch ${resumeFrom.epoch}.`);
  } else if (p.initFromModelId !== undefined) {
    const row = db.prepare('SELECT dir FROM models WHERE id = ?').get(p.initFromModelId) as { dir: string } | undefined;
    if (!row) throw new Error(`initFromModelId: model ${p.initFromModelId} does not exist.`);
    const { model: source } = loadModel(path.resolve(ctx.workspaceDir, row.dir));
    const copied = copyShared(model, source);
    disposeModel(source);
    ctx.log(`Initialised ${copied} of ${model.weights.size} weights from model ${p.initFromModelId} (those of the same name and shape; the rest keep their initial values).`);
  }
  ctx.log(`${p.method.toUpperCase()} on ${p.arch} (width x${p.widthMultiplier}) on "${dataset.name}": ${usable.length} images, ${numClasses} classes, ${h}x${w}x${channels}, ${engine.backend}.`);

  const vars = trainableVariables(model);
  const kernels = [...model.weights].filter(([n]) => n.endsWith('/kernel')).map(([, t]) => t);
  const optimizer = tf.train.momentum(p.learningRate, p.momentum);
  const steps = Math.ceil(usable.length / p.batchSize);
  const taps = [layout.classMaps, ...SPG_BRANCHES.flatMap((b) => (layout.branches[b] ? [layout.branches[b]!.output] : []))];
  let finalLoss = NaN;
  let finalAccuracy = 0;
  try {
    for (let epoch = startEpoch; epoch <= p.epochs; epoch++) {
      const t0 = Date.now();
      optimizer.setLearningRate(learningRateAt(p, epoch));
      const guided = p.method === 'spg' && epoch >= p.spg.startEpoch;
      const order = shuffled(usable.length, new Rng(hashSeed(p.seed, epoch)).fn());
      const sums = { loss: 0, ce: 0, deep: 0, shallow: 0, top: 0 };
      let correct = 0;
      for (let s = 0; s < steps; s++) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const idx = order.slice(s * p.batchSize, (s + 1) * p.batchSize).map((k) => usable[k]!);
        const x = localizeInput(await reader.read(idx), idx.length, h, w, channels);
        const labels = tf.tensor1d(idx.map((i) => reader.labels[i]!), 'int32');
        const y = tf.oneHot(labels, numClasses);
        const stats: BatchStats = new Map();
        const kept: tf.Tensor[] = [];
        const part: Partial<Record<'ce' | SpgBranch, tf.Tensor>> = {};
        const { value, grads } = tf.variableGrads(() => {
          const out = forward(model, x, { training: true, batchStats: stats, taps });
          kept.push(tf.keep(tf.argMax(out.logits, 1)));
          const ce = tf.losses.softmaxCrossEntropy(y, out.logits) as tf.Scalar;
          part.ce = tf.keep(tf.clone(ce));
          let total: tf.Scalar = ce;
          if (guided) {
            const branches = Object.fromEntries(SPG_BRANCHES.flatMap((b) => (layout.branches[b] ? [[b, out.nodes!.get(layout.branches[b]!.output) as tf.Tensor4D]] : [])));
            const spg = spgLosses(mapsOfClass(out.nodes!.get(layout.classMaps) as tf.Tensor4D, labels), branches, p.spg);
            for (const [b, t] of Object.entries(spg.bce)) part[b as SpgBranch] = tf.keep(tf.clone(t));
            total = tf.add(total, spg.total) as tf.Scalar;
          }
          if (p.weightDecay > 0) total = tf.add(total, tf.mul(p.weightDecay / 2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))))) as tf.Scalar;
          return total;
        }, vars);
        // Every variable, always in one order: TF.js keeps momentum buffers by position, so a variable
        // without a gradient in some steps (SPG's branch biases before spg.startEpoch) must still take its place.
        const zeros: tf.Tensor[] = [];
        optimizer.applyGradients(
          vars.map((v) => {
            const g = grads[v.name] ?? tf.zerosLike(v);
            if (!grads[v.name]) zeros.push(g);
            return { name: v.name, tensor: g };
          }),
        );
        tf.dispose(zeros);
        updateRunningStats(model, stats);
        const loss = value.dataSync()[0]!;
        if (!Number.isFinite(loss)) throw new Error(`Loss became ${loss} at epoch ${epoch}, step ${s + 1}; lower learningRate.`);
        const pred = kept[0]!.dataSync();
        idx.forEach((i, j) => (correct += pred[j] === reader.labels[i] ? 1 : 0));
        sums.loss += loss * idx.length;
        for (const [k, t] of Object.entries(part)) sums[k as keyof typeof sums] += t.dataSync()[0]! * idx.length;
        tf.dispose([x, labels, y, value, ...kept, ...Object.values(part), ...Object.values(grads)]);
        const done = (epoch - startEpoch) * steps + s + 1;
        const elapsed = Math.max((Date.now() - t0) / 1000, 1e-3);
        const ips = ((s + 1) * p.batchSize) / elapsed;
        ctx.progress({ step: `epoch ${epoch}/${p.epochs}, step ${s + 1}/${steps}`, fraction: ((epoch - 1) * steps + s + 1) / (p.epochs * steps), throughput: { value: ips, unit: 'img/s' }, etaSeconds: (((p.epochs - startEpoch + 1) * steps - done) * p.batchSize) / ips });
      }
      const n = usable.length;
      finalLoss = sums.loss / n;
      finalAccuracy = correct / n;
      const seconds = (Date.now() - t0) / 1000;
      const points: MetricPoint[] = [
        { step: epoch, epoch, name: 'loss', value: finalLoss },
        { step: epoch, epoch, name: 'ce_loss', value: sums.ce / n },
        { step: epoch, epoch, name: 'train_accuracy', value: finalAccuracy },
        { step: epoch, epoch, name: 'seconds_per_epoch', value: seconds },
        { step: epoch, epoch, name: 'learning_rate', value: learningRateAt(p, epoch) },
      ];
      if (guided) for (const b of SPG_BRANCHES) points.push({ step: epoch, epoch, name: `bce_${b}`, value: sums[b] / n });
      ctx.metrics(points);
      ctx.log(`Epoch ${epoch}: loss ${finalLoss.toFixed(4)} (CE ${(sums.ce / n).toFixed(4)}), train accuracy ${(finalAccuracy * 100).toFixed(1)}% (${seconds.toFixed(1)} s).`);
      // Checkpoint: written beside, then swapped in, so a crash never leaves half of one.
      const tmp = path.join(ctx.jobDir, `${CHECKPOINT}.part`);
      const final = path.join(ctx.jobDir, CHECKPOINT);
      rmSync(tmp, { recursive: true, force: true });
      await saveModel(model, tmp, { epoch });
      writeFileSync(path.join(tmp, 'state.json'), JSON.stringify({ epoch }));
      rmSync(final, { recursive: true, force: true });
      renameSync(tmp, final);
    }
    const modelDir = path.join(ctx.jobDir, 'model');
    const result: Omit<LocalizeTrainResult, 'modelDir'> = {
      name: p.name ?? `${p.method.toUpperCase()} ${p.arch} on ${dataset.name}`,
      arch: p.arch,
      method: p.method,
      datasetId: p.datasetId,
      initFromModelId: p.initFromModelId ?? null,
      numClasses,
      classNames: reader.classNames,
      imageSize: [h, w],
      channels,
      finalLoss,
      finalAccuracy,
      images: usable.length,
      epochs: p.epochs,
      backend: engine.backend,
    };
    await saveModel(model, modelDir, { localize: { ...result, spg: p.method === 'spg' ? p.spg : null } });
    return { ...result, modelDir };
  } finally {
    optimizer.dispose();
    disposeModel(model);
  }
}
