import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { ReidTrainParams } from '../common/contract/reid.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { createModel } from '../models/registry.ts';
import { forward, updateRunningStats } from '../nn/forward.ts';
import type { BatchStats, Model } from '../nn/forward.ts';
import { trainableVariables, disposeModel } from '../nn/init.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import { startEngine } from '../engine/start.ts';
import { Rng, shuffled } from '../common/random.ts';
import { ideInput, featureDim } from './ide.ts';

export interface ReidTrainResult {
  /** Absolute folder of the saved model (model.json + weights.bin). */
  modelDir: string;
  name: string;
  arch: string;
  datasetId: number;
  numClasses: number;
  /** Person id of each class index. */
  personIds: number[];
  featureDim: number;
  lmpParts: number;
  imageSize: [number, number];
  freezeBatchNorm: boolean;
  finalLoss: number;
  finalAccuracy: number;
  secondsPerEpoch: number[];
  images: number;
  backend: string;
}

/**
 * Copies every weight except the classifier ('fc/...') from a saved model of
 * the same architecture; a shape mismatch names the weight.
 */
function copyBackbone(model: Model, dir: string, sourceId: number): { copied: number; total: number } {
  const { model: source } = loadModel(dir);
  try {
    let copied = 0;
    for (const [name, target] of model.weights) {
      if (name.startsWith(`${model.spec.outputs.logits}/`)) continue;
      const w = source.weights.get(name);
      if (!w) throw new Error(`initFromModelId: model ${sourceId} has no weight ${name} (a different architecture?).`);
      if (w.shape.join('x') !== target.shape.join('x')) throw new Error(`initFromModelId: weight ${name} is ${w.shape.join('x')} in model ${sourceId}, ${target.shape.join('x')} here (different width?).`);
      (target as tf.Variable).assign(w);
      copied++;
    }
    return { copied, total: model.weights.size };
  } finally {
    disposeModel(source);
  }
}

/** Trains an IDE classifier over the dataset's identities (persons > 0; junk -1 and distractors 0 are left out). */
export default async function run(ctx: JobRunContext<ReidTrainParams>): Promise<ReidTrainResult> {
  const p = ctx.params;
  const engine = await startEngine();
  const db = ctx.readDb();
  // A named split's 'train' part; else the imported 'train' split when there is one, else every image.
  const hasTrain = p.split !== undefined || db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'train' LIMIT 1").get(p.datasetId) !== undefined;
  const dataset = db.prepare('SELECT name FROM datasets WHERE id = ?').get(p.datasetId) as { name: string };
  const reader = await openDatasetReader(db, p.datasetId, {
    ...(p.split !== undefined ? { splitName: p.split } : {}),
    ...(hasTrain ? { split: 'train' } : {}),
    size: p.imageSize,
    channels: 3,
    labelBy: 'person',
  });
  const usable: number[] = [];
  const personSet = new Set<number>();
  for (let i = 0; i < reader.count; i++) {
    const pid = reader.meta(i).personId;
    if (pid !== null && pid > 0) {
      usable.push(i);
      personSet.add(pid);
    }
  }
  const personIds = [...personSet].sort((a, b) => a - b);
  if (personIds.length < 2) throw new Error(`datasetId: dataset ${p.datasetId} has ${personIds.length} identity in its training images; IDE needs at least 2.`);
  const classOf = new Map(personIds.map((pid, k) => [pid, k]));
  const labels = Int32Array.from(usable, (i) => classOf.get(reader.meta(i).personId!)!);
  ctx.log(`IDE ${p.arch} on "${dataset.name}": ${usable.length} images, ${personIds.length} identities, ${p.imageSize.join('x')}, BN ${p.freezeBatchNorm ? 'frozen' : 'training'}, ${engine.backend}.`);

  const model = createModel(p.arch, { inputSize: p.imageSize, numClasses: personIds.length, frozenBatchNorm: p.freezeBatchNorm, widthMultiplier: p.width / 64 }, p.seed);
  if (p.initFromModelId !== undefined) {
    const row = db.prepare('SELECT dir FROM models WHERE id = ?').get(p.initFromModelId) as { dir: string } | undefined;
    if (!row) throw new Error(`initFromModelId: model ${p.initFromModelId} does not exist.`);
    const copied = copyBackbone(model, path.resolve(ctx.workspaceDir, row.dir), p.initFromModelId);
    ctx.log(`Initialised ${copied.copied} of ${copied.total} weights from model ${p.initFromModelId} (classifier left random).`);
  }
  const vars = trainableVariables(model);
  // Weight decay on conv and dense kernels only (not BN scale/shift, not biases).
  const kernels = [...model.weights].filter(([n]) => n.endsWith('/kernel')).map(([, t]) => t);
  const optimizer = tf.train.momentum(p.learningRate, p.momentum);
  const rng = new Rng(p.seed);
  const [h, w] = p.imageSize;
  const steps = Math.ceil(usable.length / p.batchSize);
  const secondsPerEpoch: number[] = [];
  let finalLoss = NaN;
  let finalAccuracy = 0;
  try {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const t0 = Date.now();
      const order = shuffled(usable.length, rng.fn());
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < steps; s++) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const pos = order.slice(s * p.batchSize, (s + 1) * p.batchSize);
        const idx = pos.map((k) => usable[k]);
        const x = ideInput(await reader.read(idx), idx.length, h, w, idx.map(() => p.flip && rng.next() < 0.5));
        const y = tf.oneHot(tf.tensor1d(pos.map((k) => labels[k]), 'int32'), personIds.length);
        const stats: BatchStats = new Map();
        let predicted: tf.Tensor1D | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const out = forward(model, x, { training: true, seed: epoch * 100003 + s, ...(p.freezeBatchNorm ? {} : { batchStats: stats }) });
          predicted = tf.keep(tf.argMax(out.logits, 1) as tf.Tensor1D);
          const ce = tf.losses.softmaxCrossEntropy(y, out.logits);
          if (p.weightDecay === 0 || kernels.length === 0) return ce as tf.Scalar;
          const l2 = tf.addN(kernels.map((k) => tf.sum(tf.square(k))));
          return tf.add(ce, tf.mul(p.weightDecay / 2, l2)) as tf.Scalar;
        }, vars);
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        if (!p.freezeBatchNorm) updateRunningStats(model, stats);
        const loss = value.dataSync()[0];
        if (!Number.isFinite(loss)) throw new Error(`Loss became ${loss} at epoch ${epoch}, step ${s + 1}; lower learningRate.`);
        const pred = (predicted as unknown as tf.Tensor1D).dataSync();
        pos.forEach((k, j) => (correct += pred[j] === labels[k] ? 1 : 0));
        lossSum += loss * idx.length;
        tf.dispose([x, y, value, predicted as unknown as tf.Tensor, ...Object.values(grads)]);
        const done = (epoch - 1) * steps + s + 1;
        const ips = ((s + 1) * p.batchSize) / Math.max((Date.now() - t0) / 1000, 1e-3);
        ctx.progress({ step: `epoch ${epoch}/${p.epochs}, step ${s + 1}/${steps}`, fraction: done / (p.epochs * steps), throughput: { value: ips, unit: 'img/s' }, etaSeconds: ((p.epochs * steps - done) * p.batchSize) / ips });
      }
      finalLoss = lossSum / usable.length;
      finalAccuracy = correct / usable.length;
      const seconds = (Date.now() - t0) / 1000;
      secondsPerEpoch.push(seconds);
      const points: MetricPoint[] = [
        { step: epoch, epoch, name: 'loss', value: finalLoss },
        { step: epoch, epoch, name: 'train_accuracy', value: finalAccuracy },
        { step: epoch, epoch, name: 'seconds_per_epoch', value: seconds },
      ];
      ctx.metrics(points);
      ctx.log(`Epoch ${epoch}: loss ${finalLoss.toFixed(4)}, train accuracy ${(finalAccuracy * 100).toFixed(1)}% (${seconds.toFixed(1)} s).`);
    }
    const modelDir = path.join(ctx.jobDir, 'model');
    const result: Omit<ReidTrainResult, 'modelDir'> = {
      name: p.name ?? `IDE ${p.arch}${p.lmpParts > 0 ? `+LMP${p.lmpParts}` : ''} on ${dataset.name}`,
      arch: p.arch,
      datasetId: p.datasetId,
      numClasses: personIds.length,
      personIds,
      featureDim: featureDim(model.spec, p.lmpParts),
      lmpParts: p.lmpParts,
      imageSize: p.imageSize,
      freezeBatchNorm: p.freezeBatchNorm,
      finalLoss,
      finalAccuracy,
      secondsPerEpoch,
      images: usable.length,
      backend: engine.backend,
    };
    await saveModel(model, modelDir, { ide: result });
    return { ...result, modelDir };
  } finally {
    optimizer.dispose();
    disposeModel(model);
  }
}
