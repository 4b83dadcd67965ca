import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../src-main/engine/start.ts';
import { adaptGenerateJob, adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import { adaptEvalJob } from '../../src-main/adapt/eval-job.ts';
import { adaptHandlers } from '../../src-main/adapt/api.ts';
import { pca2 } from '../../src-main/adapt/pca.ts';
import type { AdaptEvalResult, AdaptTrainResult } from '../../src-main/common/contract/adapt.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { loadModel } from '../../src-main/nn/model-file.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addBackgroundDataset, addObjectDataset } from '../localize/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let targetId = 0;
/** Four classes: another label set than the source's three. */
let otherId = 0;
let run: { jobId: number; result: AdaptTrainResult };

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  // 3 classes x 12 gray 16x16 PNGs; every fourth one held out as 'test'; the target is their MNIST-M style blend.
  sourceId = await addObjectDataset(env.ws, path.join(env.dir, 'gray'), 12, 16);
  env.ws.db.prepare("UPDATE samples SET split = 'test' WHERE dataset_id = ? AND id % 4 = 0").run(sourceId);
  const patchesId = await addBackgroundDataset(env.ws, path.join(env.dir, 'colour'), 4, 32);
  const gen = await runDirect(env.ws, adaptGenerateJob, { sourceDatasetId: sourceId, patchDatasetId: patchesId, seed: 2 });
  targetId = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(gen.jobId) as { id: number }).id;
  otherId = await addObjectDataset(env.ws, path.join(env.dir, 'four'), 3, 16, 4);
  run = await runDirect(env.ws, adaptTrainJob, { method: 'source-only', sourceDatasetId: sourceId, targetDatasetId: targetId, arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, epochs: 2, batchSize: 6 });
}, 180_000);
afterAll(() => env?.cleanup());

describe('pca2', () => {
  it('finds the two leading eigenvectors of the covariance (C v = lambda v), orthonormal, and projects the centred rows onto them', () => {
    // 40 points in 3-D: spread mostly along (1, 2, 0), less along (0, 0, 1), a little noise.
    const n = 40;
    const d = 3;
    const rows = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const a = Math.sin(i * 1.7) * 5;
      const b = Math.cos(i * 0.9) * 2;
      const e = Math.sin(i * 13.1) * 0.1;
      rows.set([a + 3 + e, 2 * a - 1, b + 7 - e], i * d);
    }
    const { points, axes, explained } = pca2(rows, n, d);
    const mean = [0, 1, 2].map((j) => rows.filter((_, k) => k % d === j).reduce((s, v) => s + v, 0) / n);
    const cov = (i: number, j: number): number => {
      let s = 0;
      for (let r = 0; r < n; r++) s += (rows[r * d + i]! - mean[i]!) * (rows[r * d + j]! - mean[j]!);
      return s / (n - 1);
    };
    const c = [0, 1, 2].map((i) => [0, 1, 2].map((j) => cov(i, j)));
    const trace = c[0]![0]! + c[1]![1]! + c[2]![2]!;
    axes.forEach((v, k) => {
      const cv = c.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
      const lambda = explained[k]! * trace;
      cv.forEach((x, i) => expect(x).toBeCloseTo(lambda * v[i]!, 6));
      expect(Math.hypot(...v)).toBeCloseTo(1, 9);
    });
    expect(axes[0].reduce((s, x, j) => s + x * axes[1][j]!, 0)).toBeCloseTo(0, 6);
    // The first axis is the long direction, (1, 2, 0) / sqrt(5).
    expect(Math.abs(axes[0][0]!)).toBeCloseTo(1 / Math.sqrt(5), 2);
    expect(explained[0]).toBeGreaterThan(explained[1]);
    const r5 = [0, 1, 2].map((j) => rows[5 * d + j]! - mean[j]!);
    expect(points[10]).toBeCloseTo(r5.reduce((s, x, j) => s + x * axes[0][j]!, 0), 9);
    expect(points[11]).toBeCloseTo(r5.reduce((s, x, j) => s + x * axes[1][j]!, 0), 9);
  });
});

describe('adapt.eval', () => {
  it("measures a run's model on the source and target test splits (accuracy, per-class, confusion) and embeds a seeded draw of both, leaving no tensor behind", async () => {
    const before = tf.memory().numTensors;
    const job = await runDirect(env.ws, adaptEvalJob, { jobId: run.jobId, embedCount: 5 });
    expect(tf.memory().numTensors).toBe(before);
    const r = job.result;
    expect([r.jobId, r.method, r.sourceDatasetId, r.targetDatasetId, r.modelId]).toEqual([run.jobId, 'source-only', sourceId, targetId, run.result.modelId]);
    // The same model's own target accuracy over the whole 'test' split, as training measured it.
    expect(r.target.accuracy).toBeCloseTo(run.result.targetAccuracy!, 9);
    expect(r.source.accuracy).toBeCloseTo(run.result.sourceAccuracy!, 9);
    // Recomputed here, image by image, from the model file and the target's test images.
    const { model } = loadModel(path.resolve(env.ws.dir, run.result.modelDir));
    const target = await openDatasetReader(env.ws.db, targetId, { split: 'test', size: [16, 16], channels: 3 });
    const all = Array.from({ length: target.count }, (_, i) => i);
    const px = await target.read(all);
    const predicted = tf.tidy(() => Array.from(tf.argMax(forward(model, tf.div(tf.tensor4d(px, [target.count, 16, 16, 3], 'float32'), 255) as tf.Tensor4D, { training: false }).logits, 1).dataSync()));
    disposeModel(model);
    const confusion = [0, 1, 2].map((t) => [0, 1, 2].map((p) => all.filter((i) => target.labels[i] === t && predicted[i] === p).length));
    expect(r.target.confusion).toEqual(confusion);
    expect(r.target.count).toBe(9);
    expect(r.target.perClass).toEqual(confusion.map((row, c) => ({ support: 3, accuracy: row[c]! / 3 })));
    expect(r.chance).toBeCloseTo(1 / 3);
    expect(r.classNames).toEqual(['shape0', 'shape1', 'shape2']);
    // 5 images per domain, each with its true label and the model's prediction; the draw follows the seed.
    const pts = r.embedding.points;
    expect(pts.map((p) => p.domain)).toEqual([...Array(5).fill('source'), ...Array(5).fill('target')]);
    for (const p of pts.filter((q) => q.domain === 'target')) {
      const i = target.sampleIds.indexOf(p.sampleId);
      expect([p.label, p.predicted]).toEqual([target.labels[i], predicted[i]]);
    }
    // PCA of centred features: the coordinates average zero on each axis, the first axis spreads most.
    const mean = (k: 'x' | 'y'): number => pts.reduce((s, p) => s + p[k], 0) / pts.length;
    expect(Math.abs(mean('x'))).toBeLessThan(1e-6);
    expect(Math.abs(mean('y'))).toBeLessThan(1e-6);
    expect(r.embedding.explained[0]).toBeGreaterThanOrEqual(r.embedding.explained[1]);
    expect(r.embedding.explained[0] + r.embedding.explained[1]).toBeLessThanOrEqual(1 + 1e-9);
    const again = await runDirect(env.ws, adaptEvalJob, { jobId: run.jobId, embedCount: 5, seed: 7 });
    expect(again.result.embedding.points.map((p) => p.sampleId)).not.toEqual(pts.map((p) => p.sampleId));
    const listed = await adaptHandlers['adapt.evaluations']({}, { ws: env.ws } as ServiceContext);
    expect(listed.map((e) => e.evalJobId)).toEqual([again.jobId, job.jobId]);
  }, 120_000);

  it('evaluates any workspace classifier on named datasets and splits (here the run\'s model on the source\'s train split as the "target")', async () => {
    const job = await runDirect(env.ws, adaptEvalJob, { modelId: run.result.modelId, sourceDatasetId: sourceId, targetDatasetId: sourceId, targetSplit: 'train', limit: 10, embedCount: 4 });
    const r: AdaptEvalResult = job.result;
    expect([r.jobId, r.modelId, r.method, r.targetSplit]).toEqual([null, run.result.modelId, 'source-only', 'train']);
    expect([r.source.count, r.target.count]).toEqual([9, 10]);
    expect(r.target.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10);
    expect(r.embedding.points).toHaveLength(8);
  }, 60_000);

  it.each([
    [() => ({ modelId: 9999, sourceDatasetId: sourceId, targetDatasetId: targetId }), 'modelId', /model 9999 does not exist/],
    [() => ({ jobId: 9999 }), 'jobId', /not a finished adaptation run/],
    [() => ({ modelId: run.result.modelId, targetDatasetId: targetId }), 'sourceDatasetId', /needs the source dataset named/],
    [() => ({ jobId: run.jobId, targetDatasetId: otherId }), 'targetDatasetId', /has 4 classes, the model .* 3/],
    [() => ({ jobId: run.jobId, targetSplit: 'val' }), 'targetSplit', /no labeled image in split 'val' \(its splits: test, train\)/],
    [() => ({ jobId: run.jobId, sourceDatasetId: 9999 }), 'sourceDatasetId', /dataset 9999 does not exist/],
  ])('preflight refuses bad input naming the field (%#: %s)', (req, field, message) => {
    const params = adaptEvalJob.params.parse(req());
    expect(() => adaptEvalJob.preflight!(params, env.ws)).toThrow(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  });

  it('the schema wants exactly one of a run and a model', () => {
    expect(adaptEvalJob.params.safeParse({}).error?.issues[0]?.path).toEqual(['jobId']);
    expect(adaptEvalJob.params.safeParse({ jobId: 1, modelId: 2 }).success).toBe(false);
  });
});
