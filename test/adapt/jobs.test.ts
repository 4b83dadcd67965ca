import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../src-main/engine/start.ts';
import { adaptGenerateJob, adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import { adaptHandlers } from '../../src-main/adapt/api.ts';
import { adaptMethods } from '../../src-main/common/contract/adapt.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addBackgroundDataset, addObjectDataset } from '../localize/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let patchesId = 0;
let targetId = 0;
/** A second blend of the source: its images name their source image, as a translation's do. */
let translatedId = 0;

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  // 3 classes x 12 gray 16x16 images; every fourth one held out as 'test'.
  sourceId = await addObjectDataset(env.ws, path.join(env.dir, 'gray'), 12, 16);
  env.ws.db.prepare("UPDATE samples SET split = 'test' WHERE dataset_id = ? AND id % 4 = 0").run(sourceId);
  patchesId = await addBackgroundDataset(env.ws, path.join(env.dir, 'colour'), 5, 32);
});
afterAll(() => env?.cleanup());

describe('adapt.generate', () => {
  it('blends every labeled image with a crop of a colour patch: same labels and splits, |patch - digit| per channel, lineage, seeded', async () => {
    const run = await runDirect(env.ws, adaptGenerateJob, { sourceDatasetId: sourceId, patchDatasetId: patchesId, seed: 3 });
    const ds = env.ws.db.prepare('SELECT id, format, parent_dataset_id, info FROM datasets WHERE job_id = ?').get(run.jobId) as { id: number; format: string; parent_dataset_id: number; info: string };
    targetId = ds.id;
    expect([ds.format, ds.parent_dataset_id]).toEqual(['generated', sourceId]);
    const info = JSON.parse(ds.info);
    expect(info.counts).toMatchObject({ samples: 36, classes: 3, splits: { train: 27, test: 9 } });
    expect(info.extra.lineage).toMatchObject({ kind: 'mnist-m-blend', sourceDatasetId: sourceId, patchDatasetId: patchesId });
    const blended = await openDatasetReader(env.ws.db, ds.id, { split: 'test' });
    const gray = await openDatasetReader(env.ws.db, sourceId, { split: 'test', channels: 1 });
    const patches = await openDatasetReader(env.ws.db, patchesId, { channels: 3 });
    expect([blended.count, blended.channels, blended.height]).toEqual([9, 3, 16]);
    expect(Array.from(blended.labels)).toEqual(Array.from(gray.labels));
    // One pixel checked by hand from the recorded patch and crop.
    const row = env.ws.db.prepare('SELECT extra FROM samples WHERE id = ?').get(blended.sampleIds[2]) as { extra: string };
    const { sourceSampleId, patchSampleId, crop } = JSON.parse(row.extra) as { sourceSampleId: number; patchSampleId: number; crop: [number, number] };
    expect(sourceSampleId).toBe(gray.sampleIds[2]);
    const out = await blended.read([2]);
    const d = (await gray.read([2]))[5 * 16 + 7]!;
    const patch = await patches.read([patches.sampleIds.indexOf(patchSampleId)]);
    for (let c = 0; c < 3; c++) expect(out[(5 * 16 + 7) * 3 + c]).toBe(Math.abs(patch[((crop[0] + 5) * 32 + crop[1] + 7) * 3 + c]! - d));
    const again = await runDirect(env.ws, adaptGenerateJob, { sourceDatasetId: sourceId, patchDatasetId: patchesId, seed: 3 });
    const id2 = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(again.jobId) as { id: number }).id;
    const other = await runDirect(env.ws, adaptGenerateJob, { sourceDatasetId: sourceId, patchDatasetId: patchesId, seed: 4 });
    translatedId = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(other.jobId) as { id: number }).id;
    expect(Buffer.from(await (await openDatasetReader(env.ws.db, id2, { split: 'test' })).read([0, 8]))).toEqual(Buffer.from(await blended.read([0, 8])));
  });

  it.each([
    [{ sourceDatasetId: 9999, patchDatasetId: 1 }, 'sourceDatasetId', /dataset 9999 does not exist/],
    [() => ({ sourceDatasetId: patchesId, patchDatasetId: patchesId }), 'sourceDatasetId', /is not grayscale/],
    [() => ({ sourceDatasetId: sourceId, patchDatasetId: sourceId }), 'patchDatasetId', /the patches must be colour/],
  ])('preflight refuses %j naming %s', (req, field, message) => {
    const params = adaptGenerateJob.params.parse(typeof req === 'function' ? req() : req);
    expect(() => adaptGenerateJob.preflight!(params, env.ws)).toThrow(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  });
});

describe('adapt.train, one parametrized test over the methods', () => {
  it.each(adaptMethods)('%s: trains on the source, reads the target without labels, reports both accuracies per epoch and records the model, leaving no tensor behind', async (method) => {
    const before = tf.memory().numTensors;
    const run = await runDirect(env.ws, adaptTrainJob, {
      method,
      sourceDatasetId: sourceId,
      targetDatasetId: targetId,
      arch: 'resnet20',
      modelOptions: { widthMultiplier: 0.25 },
      epochs: 2,
      batchSize: 6,
      ...(method === 'daaa' ? { translatedDatasetId: translatedId } : {}),
    });
    expect(tf.memory().numTensors).toBe(before);
    const r = run.result;
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2]);
    const terms = { 'source-only': ['classification', 'total'], dann: ['classification', 'domain', 'total'], daaa: ['attention', 'classification', 'total', 'translated'] }[method];
    expect(Object.keys(r.history[0]!.losses).sort()).toEqual(terms);
    // DAAA trains on the target's EM posteriors from the second epoch on.
    if (method === 'daaa') expect(Object.keys(r.history[1]!.losses).sort()).toEqual([...terms, 'target'].sort());
    for (const h of r.history) {
      for (const v of Object.values(h.losses)) expect(Number.isFinite(v)).toBe(true);
      expect(h.targetAccuracy).toBeGreaterThanOrEqual(0);
      expect(h.targetAccuracy).toBeLessThanOrEqual(1);
      expect(h.sourceAccuracy).not.toBeNull();
    }
    expect(r.chance).toBeCloseTo(1 / 3);
    expect(run.metrics.filter((m) => m.name === 'target_accuracy')).toHaveLength(2);
    const model = env.ws.db.prepare('SELECT method, dataset_id FROM models WHERE job_id = ?').get(run.jobId) as { method: string; dataset_id: number };
    expect(model).toEqual({ method: `adapt-${method}`, dataset_id: sourceId });
    const runs = await adaptHandlers['adapt.runs']({}, { ws: env.ws } as ServiceContext);
    expect(runs.find((x) => x.jobId === run.jobId)).toMatchObject({ method, status: 'succeeded', targetAccuracy: r.targetAccuracy });
  }, 120_000);

  it.each(adaptMethods)('%s: cancelled after epoch 1 and resumed, ends with the same weights and history as an uninterrupted run, leaving no tensor behind', async (method) => {
    const params = {
      method,
      sourceDatasetId: sourceId,
      targetDatasetId: targetId,
      arch: 'resnet20',
      modelOptions: { widthMultiplier: 0.25 },
      epochs: 2,
      batchSize: 6,
      seed: 5,
      ...(method === 'daaa' ? { translatedDatasetId: translatedId } : {}),
    };
    const before = tf.memory().numTensors;
    const full = await runDirect(env.ws, adaptTrainJob, params);
    const cut = await runJobInProcess(env.ws, adaptTrainJob, params, { onMetrics: (points) => points.some((m) => m.epoch === 1) });
    expect(cut.status).toBe('cancelled');
    const checkpoints = env.ws.db.prepare("SELECT json_extract(meta, '$.epoch') AS epoch FROM artifacts WHERE job_id = ? AND kind = 'checkpoint'").all(cut.jobId);
    expect(checkpoints).toEqual([{ epoch: 1 }]);
    const resumed = await runDirect(env.ws, adaptTrainJob, params, { resumeFrom: cut.jobId });
    expect(tf.memory().numTensors).toBe(before);
    expect(resumed.logs.some((l) => /^Resuming from .*epoch-0001 after epoch 1\.$/.test(l))).toBe(true);
    // Only epoch 2 ran again; the result carries the whole run.
    expect([...new Set(resumed.metrics.map((m) => m.epoch))]).toEqual([2]);
    expect(resumed.result.history).toEqual(full.result.history);
    const weights = (r: typeof full): Buffer => readFileSync(path.join(env.ws.dir, r.result.modelDir, 'weights.bin'));
    expect(weights(resumed).equals(weights(full))).toBe(true);
    // And the run did change the weights after the checkpoint (a resume that skipped epoch 2 would not match either).
    expect(readFileSync(path.join(env.ws.jobDir(cut.jobId), 'checkpoints', 'epoch-0001', 'weights.bin')).equals(weights(full))).toBe(false);
  }, 240_000);

  it('a resume whose checkpoint state file is corrupt fails naming the file', async () => {
    const params = { method: 'dann' as const, sourceDatasetId: sourceId, targetDatasetId: targetId, arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, epochs: 2, batchSize: 6 };
    const before = tf.memory().numTensors;
    const cut = await runJobInProcess(env.ws, adaptTrainJob, params, { onMetrics: (points) => points.some((m) => m.epoch === 1) });
    expect(cut.status).toBe('cancelled');
    const file = path.join(env.ws.jobDir(cut.jobId), 'checkpoints', 'epoch-0001', 'state.bin');
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(file, bytes);
    const resumed = await runJobInProcess(env.ws, adaptTrainJob, params, { resumeFrom: cut.jobId });
    expect(resumed.status).toBe('failed');
    expect(resumed.error).toBe(`${file}: does not match its checkpoint (corrupt).`);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('preflight refuses DAAA without a translation, and with a set that translates nothing of the source', () => {
    expect(adaptTrainJob.params.safeParse({ method: 'daaa', sourceDatasetId: sourceId, targetDatasetId: targetId }).error?.issues[0]?.path).toEqual(['translatedDatasetId']);
    const params = adaptTrainJob.params.parse({ method: 'daaa', sourceDatasetId: sourceId, targetDatasetId: targetId, translatedDatasetId: patchesId });
    expect(() => adaptTrainJob.preflight!(params, env.ws)).toThrow(expect.objectContaining({ field: 'translatedDatasetId', message: expect.stringMatching(/is a translation of a source image/) }));
  });

  it('preflight refuses the source as its own target, naming targetDatasetId', () => {
    const params = adaptTrainJob.params.parse({ method: 'dann', sourceDatasetId: sourceId, targetDatasetId: sourceId });
    expect(() => adaptTrainJob.preflight!(params, env.ws)).toThrow(expect.objectContaining({ field: 'targetDatasetId' }));
  });
});
