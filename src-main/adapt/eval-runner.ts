/**
 * The `adapt.eval` job: a model (an adaptation run's, or any workspace
 * classifier) on a source and a target split. Measures the accuracy on both
 * and, on the target, per-class accuracy and the confusion matrix (its labels
 * only measure here); projects the penultimate (pooled) features of a seeded
 * draw of both domains' images together to 2-D by PCA (pca.ts), so the plot
 * shows whether the two domains' classes fall in the same places. Runs in the
 * job process; the result is the job's result.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { AdaptEvalParams, AdaptEvalPoint, AdaptEvalResult } from '../common/contract/adapt.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';
import { initEngine } from '../engine/init.ts';
import { forward, type Model } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { loadModel } from '../nn/model-file.ts';
import { openDatasetReader, type DatasetReader } from '../datasets/reader.ts';
import { resolveEvalInput } from './eval-input.ts';
import { pca2 } from './pca.ts';

const BATCH = 64;

interface DomainPass {
  /** Reader indices measured, in the seeded order; the first `embedCount` are embedded. */
  idx: number[];
  predicted: Int32Array;
  /** [embedded * F] pooled features of the first embedded images. */
  features: Float32Array;
  embedded: number;
}

/** Predictions of every measured image and the features of the first `embedCount` (pixels HWC uint8, scaled to [0, 1] as training does). */
async function pass(ctx: JobRunContext<AdaptEvalParams>, model: Model, reader: DatasetReader, salt: number, step: string): Promise<DomainPass> {
  const p = ctx.params;
  const { height, width, channels } = model.spec.input;
  const labeled = Array.from(permutation(reader.count, mulberry32(hashSeed(p.seed, salt)))).filter((i) => reader.labels[i]! >= 0);
  const idx = p.limit !== undefined ? labeled.slice(0, p.limit) : labeled;
  const embedded = Math.min(p.embedCount, idx.length);
  const predicted = new Int32Array(idx.length);
  const chunks: Float32Array[] = [];
  for (let start = 0; start < idx.length; start += BATCH) {
    if (ctx.signal.aborted) throw new Error('cancelled');
    const batch = idx.slice(start, start + BATCH);
    const pixels = await reader.read(batch);
    let pred: Int32Array = new Int32Array(0);
    let feats: Float32Array | null = null;
    tf.tidy(() => {
      // [n, H, W, C] uint8 -> float in [0, 1]
      const x = tf.div(tf.tensor4d(pixels, [batch.length, height, width, channels], 'float32'), 255) as tf.Tensor4D;
      const out = forward(model, x, { training: false });
      pred = tf.argMax(out.logits, 1).dataSync() as Int32Array;
      if (start < embedded) feats = out.features!.dataSync() as Float32Array;
    });
    predicted.set(pred, start);
    if (feats !== null) {
      const got: Float32Array = feats;
      const f = got.length / batch.length;
      chunks.push(got.subarray(0, Math.min(batch.length, embedded - start) * f));
    }
    ctx.progress({ step, fraction: Math.min(1, (start + batch.length) / idx.length) });
  }
  const features = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    features.set(c, at);
    at += c.length;
  }
  return { idx, predicted, features, embedded };
}

export default async function run(ctx: JobRunContext<AdaptEvalParams>): Promise<AdaptEvalResult> {
  await initEngine();
  const p = ctx.params;
  const db = ctx.readDb();
  const input = resolveEvalInput(db, p);
  const { model } = loadModel(path.resolve(ctx.workspaceDir, input.modelDir));
  try {
    if (!model.spec.outputs.features) throw new Error(`modelId: ${model.spec.arch} names no pooled features to project.`);
    const { height, width, channels } = model.spec.input;
    const open = (datasetId: number, split: string): Promise<DatasetReader> => openDatasetReader(db, datasetId, { split, size: [height, width], channels: channels === 1 ? 1 : 3 });
    const source = await open(input.sourceDatasetId, p.sourceSplit);
    const target = await open(input.targetDatasetId, p.targetSplit);
    const s = await pass(ctx, model, source, 1, 'source images');
    const t = await pass(ctx, model, target, 2, 'target images');
    const k = input.numClasses;
    const accuracy = (d: DomainPass, r: DatasetReader): number => d.idx.reduce((a, i, j) => a + (r.labels[i] === d.predicted[j] ? 1 : 0), 0) / d.idx.length;
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    t.idx.forEach((i, j) => confusion[target.labels[i]!]![t.predicted[j]!]!++);
    const perClass = confusion.map((row, c) => {
      const support = row.reduce((a, b) => a + b, 0);
      return { accuracy: support ? row[c]! / support : null, support };
    });
    // Both domains in one PCA: one shared pair of axes, so source and target are comparable in the plot.
    const f = s.embedded ? s.features.length / s.embedded : t.features.length / t.embedded;
    const rows = new Float32Array((s.embedded + t.embedded) * f);
    rows.set(s.features, 0);
    rows.set(t.features, s.features.length);
    const proj = pca2(rows, s.embedded + t.embedded, f);
    const points: AdaptEvalPoint[] = [];
    const add = (domain: 'source' | 'target', d: DomainPass, r: DatasetReader, offset: number): void => {
      for (let j = 0; j < d.embedded; j++) {
        const i = d.idx[j]!;
        points.push({ domain, sampleId: r.sampleIds[i]!, label: r.labels[i]!, predicted: d.predicted[j]!, x: proj.points[(offset + j) * 2]!, y: proj.points[(offset + j) * 2 + 1]! });
      }
    };
    add('source', s, source, 0);
    add('target', t, target, s.embedded);
    const result: AdaptEvalResult = {
      jobId: p.jobId ?? null,
      modelId: input.modelId,
      method: input.method,
      modelName: input.modelName,
      arch: input.arch,
      sourceDatasetId: input.sourceDatasetId,
      targetDatasetId: input.targetDatasetId,
      sourceSplit: p.sourceSplit,
      targetSplit: p.targetSplit,
      classNames: source.classNames,
      chance: 1 / k,
      source: { count: s.idx.length, accuracy: accuracy(s, source) },
      target: { count: t.idx.length, accuracy: accuracy(t, target), perClass, confusion },
      embedding: { explained: proj.explained, points },
    };
    ctx.log(`"${input.modelName}": source ${(result.source.accuracy * 100).toFixed(1)}% of ${s.idx.length}, target ${(result.target.accuracy * 100).toFixed(1)}% of ${t.idx.length}; ${points.length} images embedded (PCA explains ${((proj.explained[0] + proj.explained[1]) * 100).toFixed(1)}%).`);
    return result;
  } finally {
    disposeModel(model);
  }
}
