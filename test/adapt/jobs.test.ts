import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../src-main/engine/start.ts';
import { registerEngineKernels } from '../../src-main/engine/kernels/index.ts';
import sharp from 'sharp';
import { adaptAttentionJob, adaptGenerateJob, adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import { attentionMap, stageOutputs } from '../../src-main/adapt/attention.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { loadModel } from '../../src-main/nn/model-file.ts';
import { adaptHandlers } from '../../src-main/adapt/api.ts';
import { adaptMethods, type AdaptMethod, type AdaptTrainResult } from '../../src-main/common/contract/adapt.ts';
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
/** The finished run of each method (the parametrized training test), for the attention maps. */
const finished: Partial<Record<AdaptMethod, { jobId: number; result: AdaptTrainResult }>> = {};

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
    finished[method] = run;
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
    expect(runs.find((x) => x.jobId === run.jobId)).toMatchObject({ method, arch: 'resnet20', status: 'succeeded', targetAccuracy: r.targetAccuracy });
  }, 120_000);

  it.each(['estimated', 'balanced'] as const)('DAAA with EM soft labels from epoch 3, prior %s: no target term before it; the prior behind them is the EM\'s estimate or held at the source\'s', async (emPrior) => {
    const run = await runDirect(env.ws, adaptTrainJob, { method: 'daaa', sourceDatasetId: sourceId, targetDatasetId: targetId, translatedDatasetId: translatedId, arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, epochs: 3, batchSize: 6, emStartEpoch: 3, emPrior });
    expect(run.result.history.map((h) => 'target' in h.losses)).toEqual([false, false, true]);
    const stateAfter = (epoch: number) => (JSON.parse(readFileSync(path.join(env.ws.jobDir(run.jobId), 'checkpoints', `epoch-000${epoch}`, 'model.json'), 'utf8')) as { meta: { state: { em: { prior: number[] } | null } } }).meta.state.em;
    // Soft labels are estimated only for the epoch that trains on them (the 3rd, from the model after the 2nd).
    expect(stateAfter(1)).toBeNull();
    const prior = stateAfter(2)!.prior;
    expect(prior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const rows = env.ws.db.prepare("SELECT label, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split IS NOT 'test' GROUP BY label ORDER BY label").all(sourceId) as { n: number }[];
    const sourcePrior = rows.map((r) => r.n / rows.reduce((a, x) => a + x.n, 0));
    if (emPrior === 'balanced') prior.forEach((v, c) => expect(v).toBeCloseTo(sourcePrior[c]!, 4));
    else expect(prior.some((v, c) => Math.abs(v - sourcePrior[c]!) > 1e-3)).toBe(true);
    expect(run.logs.some((l) => l.startsWith(`EM (${emPrior}) target prior for epoch 3 after`))).toBe(true);
  }, 120_000);

  it('adapt.attention: per-stage maps of the DAAA model beside the source-only one on source, translated and target images, as PNGs the call answers', async () => {
    const daaa = finished.daaa!;
    const before = tf.memory().numTensors;
    const job = await runDirect(env.ws, adaptAttentionJob, { jobId: daaa.jobId, count: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const r = job.result;
    // The newest source-only run on the same domains and architecture is the default comparison; DAAA's own translation gives the middle row.
    expect([r.jobId, r.compareJobId, r.method]).toEqual([daaa.jobId, finished['source-only']!.jobId, 'daaa']);
    expect(r.stages.map((s) => [s.height, s.width])).toEqual([[16, 16], [8, 8], [4, 4]]);
    expect(r.rows.map((row) => [row.domain, row.datasetId, row.items.length])).toEqual([['source', sourceId, 2], ['translated', translatedId, 2], ['target', targetId, 2]]);
    // Translated item i is the translation of source item i.
    const sourceOf = env.ws.db.prepare("SELECT json_extract(extra, '$.sourceSampleId') AS s FROM samples WHERE id = ?");
    r.rows[1]!.items.forEach((it, i) => expect((sourceOf.get(it.sampleId) as { s: number }).s).toBe(r.rows[0]!.items[i]!.sampleId));
    for (const it of r.rows[1]!.items) for (const v of [it.adapted, it.sourceOnly]) for (const d of v.distance!) expect(d >= 0 && d <= Math.SQRT2 + 1e-6, `distance ${d}`).toBe(true);
    expect(r.rows[0]!.items[0]!.adapted.distance).toBeUndefined();

    // The call answers absolute paths; a map's PNG is the attention map of that image under that model, scaled by its maximum.
    const maps = await adaptHandlers['adapt.attentionMaps']({ jobId: daaa.jobId }, { ws: env.ws } as ServiceContext);
    expect(maps?.attentionJobId).toBe(job.jobId);
    const item = maps!.rows[0]!.items[1]!;
    expect(path.isAbsolute(item.image)).toBe(true);
    const png = async (file: string) => sharp(file).raw().toBuffer({ resolveWithObject: true });
    const image = await png(item.image);
    expect([image.info.width, image.info.height, image.info.channels]).toEqual([16, 16, 3]);
    const { model } = loadModel(path.join(env.ws.dir, finished['source-only']!.result.modelDir));
    try {
      const stage = stageOutputs(model)[1]!;
      const scaled = tf.tidy(() => {
        const x = tf.div(tf.tensor4d(new Uint8Array(image.data), [1, 16, 16, 3], 'float32'), 255) as tf.Tensor4D;
        const m = attentionMap(forward(model, x, { training: false, taps: [stage] }).nodes!.get(stage)! as tf.Tensor4D);
        return tf.mul(tf.div(m, tf.max(m)), 255);
      });
      const expected = Array.from(scaled.dataSync());
      scaled.dispose();
      const file = item.sourceOnly.maps[1]!;
      // Gray at the stage's resolution (the encoder writes gray as RGB: every channel the same).
      const drawn = await png(file);
      expect([drawn.info.width, drawn.info.height]).toEqual([8, 8]);
      const c = drawn.info.channels;
      for (let k = 0; k < 64; k++) expect(drawn.data[k * c + c - 1]).toBe(drawn.data[k * c]);
      expect(Math.max(...expected.map((v, k) => Math.abs(v - drawn.data[k * c]!)))).toBeLessThanOrEqual(0.5 + 1e-3);
      // The two models look differently somewhere (the comparison shows something).
      expect(Buffer.compare(readFileSync(item.sourceOnly.maps[0]!), readFileSync(item.adapted.maps[0]!))).not.toBe(0);
    } finally {
      disposeModel(model);
    }
    expect(await adaptHandlers['adapt.attentionMaps']({ jobId: finished.dann!.jobId }, { ws: env.ws } as ServiceContext)).toBeNull();
  }, 120_000);

  it('adapt.attention preflight names the run and the comparison when they are not finished adaptation runs of the right kind', () => {
    const parse = (over: object) => adaptAttentionJob.params.parse({ jobId: finished.dann!.jobId, ...over });
    expect(() => adaptAttentionJob.preflight!(parse({ jobId: 9999 }), env.ws)).toThrow(expect.objectContaining({ field: 'jobId' }));
    expect(() => adaptAttentionJob.preflight!(parse({ compareJobId: finished.daaa!.jobId }), env.ws)).toThrow(expect.objectContaining({ field: 'compareJobId', message: expect.stringMatching(/not a finished source-only/) }));
    expect(() => adaptAttentionJob.preflight!(parse({ translatedDatasetId: 9999 }), env.ws)).toThrow(expect.objectContaining({ field: 'translatedDatasetId' }));
    expect(() => adaptAttentionJob.preflight!(parse({}), env.ws)).not.toThrow();
  });

  // Resume on each CPU backend a job may run on: wasm (the default here) with every method, and TF.js's
  // plain cpu backend (where the wasm binary cannot load) with source-only: the checkpoint path (classifier,
  // BN statistics, momentum, run state) on cpu's kernels. The other methods on cpu are left out for time: on
  // the shared 2-core machine (load ~20) this tiny config took source-only 78 s, DANN 147 s and DAAA over
  // 240 s on cpu, against 2-8 s each on wasm. Bit-identity is checked within one backend.
  const resumeCases = [...adaptMethods.map((method) => [method, 'wasm'] as const), ['source-only', 'cpu'] as const];
  it.each(resumeCases)('%s on %s: cancelled after epoch 1 and resumed, ends with the same weights and history as an uninterrupted run, leaving no tensor behind', async (method, backend) => {
    if (backend === 'cpu') {
      // Registered as the engine registers it when it falls back to cpu (the engine chose wasm here).
      await import('@tensorflow/tfjs-backend-cpu');
      registerEngineKernels('cpu');
    }
    await tf.setBackend(backend);
    try {
      await resumeMatchesUninterrupted(method);
    } finally {
      await tf.setBackend('wasm');
    }
  }, 240_000);

  async function resumeMatchesUninterrupted(method: AdaptMethod): Promise<void> {
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
    // The page lists the resumed run once, as its newest job.
    const listed = (await adaptHandlers['adapt.runs']({}, { ws: env.ws } as ServiceContext)).map((r) => r.jobId);
    expect(listed).toContain(resumed.jobId);
    expect(listed).not.toContain(cut.jobId);
  }

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
