/** Evaluation and BatchNorm re-estimation. */
import * as tf from '@tensorflow/tfjs-core';
import { forward, type BatchStats, type Model } from '../nn/forward.ts';
import type { DatasetReader } from '../datasets/reader.ts';
import { evalBatch, trainBatch, type RunData } from './data.ts';

export interface EvalResult {
  loss: number;
  accuracy: number;
  count: number;
  /** With `collect`: one entry per evaluated sample, in evaluation order (the samples `accuracy` counts). */
  predictions?: SamplePredictions;
}

/** Per-sample predictions of one evaluation pass. */
export interface SamplePredictions {
  /** Reader indices of the evaluated samples. */
  indices: Int32Array;
  labels: Int32Array;
  predicted: Int32Array;
  /** Softmax probability of the predicted class. */
  confidence: Float32Array;
}

/**
 * Loss and top-1 accuracy in inference mode over the given reader indices;
 * with `collect`, also each sample's predicted class and its confidence (the
 * same pass, so they agree with `accuracy` exactly).
 */
export async function evaluate(model: Model, data: RunData, reader: DatasetReader, indices: Int32Array, batchSize: number, signal?: AbortSignal, collect = false): Promise<EvalResult> {
  let lossSum = 0;
  let correct = 0;
  let n = 0;
  const kept: Int32Array[] = [];
  const labelParts: Int32Array[] = [];
  const predictedParts: Int32Array[] = [];
  const confidenceParts: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += batchSize) {
    if (signal?.aborted) throw new Error('cancelled');
    const idx = indices.subarray(start, start + batchSize);
    const b = await evalBatch(data, reader, idx);
    if (b.n === 0) continue; // every image of the batch undecodable (skipped, named in the run's result)
    n += b.n;
    const out: { loss: number; hits: number; predicted: Int32Array | null; confidence: Float32Array | null } = { loss: 0, hits: 0, predicted: null, confidence: null };
    tf.tidy(() => {
      const x = tf.tensor4d(b.data, [b.n, data.height, data.width, data.channels]);
      const { logits } = forward(model, x, { training: false });
      const labels = tf.tensor1d(b.labels, 'int32');
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, model.spec.numClasses), logits, undefined, undefined, tf.Reduction.SUM);
      const arg = tf.argMax(logits, 1);
      out.loss = l.dataSync()[0]!;
      out.hits = tf.sum(tf.cast(tf.equal(arg, labels), 'float32')).dataSync()[0]!;
      if (collect) {
        out.predicted = Int32Array.from(arg.dataSync());
        out.confidence = Float32Array.from(tf.max(tf.softmax(logits), 1).dataSync());
      }
    });
    lossSum += out.loss;
    correct += out.hits;
    if (out.predicted && out.confidence) {
      kept.push(b.indices ?? idx);
      labelParts.push(b.labels);
      predictedParts.push(out.predicted);
      confidenceParts.push(out.confidence);
    }
  }
  const result: EvalResult = { loss: n ? lossSum / n : 0, accuracy: n ? correct / n : 0, count: n };
  if (collect) result.predictions = { indices: concat(Int32Array, kept), labels: concat(Int32Array, labelParts), predicted: concat(Int32Array, predictedParts), confidence: concat(Float32Array, confidenceParts) };
  return result;
}

function concat<T extends Int32Array | Float32Array>(Ctor: new (n: number) => T, parts: T[]): T {
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Re-estimates BatchNorm running statistics as the plain average over
 * `batches` training batches (no augmentation randomness beyond the run's
 * seeded pipeline) and keeps them (the train job's `prune.reestimateBn`).
 */
export async function reestimateBn(model: Model, data: RunData, batchSize: number, batches: number, seed: number): Promise<void> {
  const sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  try {
    const n = Math.min(batches, Math.floor(data.trainIdx.length / batchSize) || 1);
    for (let b = 0; b < n; b++) {
      const idx = data.trainIdx.subarray(b * batchSize, (b + 1) * batchSize);
      const batch = await trainBatch(data, idx, seed, -1);
      if (batch.n === 0) continue;
      const stats: BatchStats = new Map();
      tf.tidy(() => {
        forward(model, tf.tensor4d(batch.data, [batch.n, data.height, data.width, data.channels]), { training: true, batchStats: stats, seed });
      });
      for (const [name, s] of stats) {
        const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
        const prev = sums.get(name);
        const mean = tf.tidy(() => (prev ? tf.add(prev.mean, s.mean) : tf.clone(s.mean)));
        const variance = tf.tidy(() => (prev ? tf.add(prev.variance, tf.mul(s.variance, unbias)) : tf.mul(s.variance, unbias)));
        if (prev) tf.dispose([prev.mean, prev.variance]);
        sums.set(name, { mean, variance });
        tf.dispose([s.mean, s.variance]);
      }
    }
    for (const [name, s] of sums) {
      tf.tidy(() => {
        (model.weights.get(`${name}/movingMean`) as tf.Variable).assign(tf.div(s.mean, n));
        (model.weights.get(`${name}/movingVariance`) as tf.Variable).assign(tf.div(s.variance, n));
      });
    }
  } finally {
    for (const s of sums.values()) tf.dispose([s.mean, s.variance]);
  }
}

/**
 * Runs `fn` with BatchNorm statistics re-estimated as `reestimateBn` does, then
 * restores the previous statistics so the model (and a resumed run) is unchanged.
 */
export async function withRecalibratedBn<T>(model: Model, data: RunData, batchSize: number, batches: number, seed: number, fn: () => Promise<T>): Promise<T> {
  const bnNodes = model.spec.nodes.filter((n) => n.op === 'batchNorm' && !n.frozen);
  const saved = new Map<string, tf.Tensor>();
  for (const n of bnNodes) {
    for (const leaf of ['movingMean', 'movingVariance']) saved.set(`${n.name}/${leaf}`, tf.clone(model.weights.get(`${n.name}/${leaf}`)!));
  }
  try {
    await reestimateBn(model, data, batchSize, batches, seed);
    return await fn();
  } finally {
    for (const [key, t] of saved) {
      (model.weights.get(key) as tf.Variable).assign(t);
      t.dispose();
    }
  }
}
