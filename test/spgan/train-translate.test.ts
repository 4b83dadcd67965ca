import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import path from 'node:path';
import sharp from 'sharp';
import { startEngine } from '../../src-main/engine/start.ts';
import { spganTrainJob, spganTranslateJob } from '../../src-main/spgan/jobs.ts';
import { spganHandlers } from '../../src-main/spgan/api.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { TranslatedDatasetLineage } from '../../src-main/common/contract/spgan.ts';
import { tempWorkspace, addReidDataset, runDirect, addJobRow } from './helpers.ts';

const tiny = {
  imageSize: [32, 16], residualBlocks: 1, generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2,
  siameseWidth: 4, epochs: 2, batchSize: 2, sampleCount: 2, poolSize: 4,
};

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let targetId = 0;
let plainId = 0;

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  const ws = env.ws;
  sourceId = await addReidDataset(ws, path.join(env.dir, 'market'), 'market-like', [
    { personId: 1, camera: 1, split: 'train', rgb: [200, 30, 30] },
    { personId: 1, camera: 2, split: 'train', rgb: [190, 40, 30] },
    { personId: 2, camera: 1, split: 'train', rgb: [30, 200, 30] },
    { personId: 3, camera: 3, split: 'query', rgb: [30, 30, 200] },
    { personId: 3, camera: 1, split: 'gallery', rgb: [40, 30, 190] },
  ]);
  targetId = await addReidDataset(ws, path.join(env.dir, 'duke'), 'duke-like', [
    { personId: 7, camera: 5, split: 'train', rgb: [120, 120, 120] },
    { personId: 8, camera: 6, split: 'train', rgb: [100, 140, 120] },
    { personId: 9, camera: 2, split: 'train', rgb: [90, 90, 150] },
  ], [48, 24]);
  // A dataset without person ids (an image-folder import, say).
  plainId = await addReidDataset(ws, path.join(env.dir, 'plain'), 'plain', [{ personId: null, camera: null, split: 'train', rgb: [0, 0, 0] }]);
});

afterAll(() => env?.cleanup());

describe('spgan.train and spgan.translate on a real workspace', () => {
  it('preflight names the field: no person ids, same dataset, image size, too many PatchGAN layers', () => {
    const ws = env.ws;
    const parse = (over: object) => spganTrainJob.params.parse({ sourceDatasetId: sourceId, targetDatasetId: targetId, ...tiny, ...over });
    expect(() => spganTrainJob.preflight!(parse({ sourceDatasetId: plainId }), ws)).toThrow(/sourceDatasetId: .*no person_id/);
    expect(() => spganTrainJob.preflight!(parse({ targetDatasetId: sourceId }), ws)).toThrow(/targetDatasetId: source and target are the same/);
    expect(() => spganTrainJob.preflight!(parse({ imageSize: [30, 16] }), ws)).toThrow(/imageSize: 30x16 is not a multiple of 4/);
    expect(() => spganTrainJob.preflight!(parse({ discriminatorLayers: 3 }), ws)).toThrow(/discriminatorLayers/);
    expect(() => spganTrainJob.preflight!(parse({ targetDatasetId: 999 }), ws)).toThrow(/targetDatasetId: dataset 999 does not exist/);
  });

  it('trains two epochs, logs every loss term, saves samples and checkpoints, then translates with lineage', async () => {
    const ws = env.ws;
    const train = await runDirect(ws, spganTrainJob, { sourceDatasetId: sourceId, targetDatasetId: targetId, ...tiny });
    const names = new Set(train.metrics.map((m) => m.name));
    for (const n of ['d_A', 'd_B', 'g_adv', 'cycle', 'identity', 'contrastive', 'siamese', 'g_total', 'seconds_per_epoch']) expect(names.has(n), n).toBe(true);
    for (const m of train.metrics) expect(Number.isFinite(m.value)).toBe(true);
    // Contrastive term off in epoch 1 (switched on after the first epoch), on in epoch 2.
    expect(train.metrics.find((m) => m.name === 'contrastive' && m.epoch === 1)?.value).toBe(0);
    expect(train.metrics.find((m) => m.name === 'contrastive' && m.epoch === 2)?.value).toBeGreaterThan(0);

    const ctx = { ws } as ServiceContext;
    const runs = await spganHandlers['spgan.runs']({}, ctx);
    expect(runs[0].jobId).toBe(train.jobId);
    expect(runs[0].checkpointEpochs).toEqual([1, 2]);
    expect(runs[0].sampleEpochs).toEqual([1, 2]);
    const samples = await spganHandlers['spgan.samples']({ jobId: train.jobId, epoch: 2, direction: 'both' }, ctx);
    const items = samples.groups.flatMap((g) => g.items);
    expect(items.filter((i) => i.direction === 'AtoB')).toHaveLength(2);
    expect(items.filter((i) => i.direction === 'BtoA')).toHaveLength(2);
    for (const i of items) {
      expect(existsSync(i.realPath)).toBe(true);
      expect((await sharp(i.translatedPath).metadata()).height).toBe(32);
    }
    const examples = await spganHandlers['spgan.targetExamples']({ jobId: train.jobId, count: 2 }, ctx);
    expect(examples).toHaveLength(2);

    const translated = await runDirect(ws, spganTranslateJob, { runJobId: train.jobId, datasetId: sourceId });
    const ds = ws.db.prepare('SELECT * FROM datasets WHERE job_id = ?').get(translated.jobId) as { id: number; format: string; parent_dataset_id: number; info: string; root_path: string };
    expect(ds.format).toBe('translated');
    expect(ds.parent_dataset_id).toBe(sourceId);
    const lineage = (JSON.parse(ds.info) as { lineage: TranslatedDatasetLineage }).lineage;
    expect(lineage).toMatchObject({ kind: 'spgan-translation', runJobId: train.jobId, translateJobId: translated.jobId, epoch: 2, sourceDatasetId: sourceId, targetDatasetId: targetId });
    // Every source sample kept its labels and split; files exist at the run's size under the workspace artifacts.
    const rows = ws.db.prepare('SELECT s.person_id, s.camera, s.split, s.path, src.person_id AS sp, src.camera AS sc, src.split AS ss FROM samples s JOIN samples src ON src.id = json_extract(s.extra, \'$.sourceSampleId\') WHERE s.dataset_id = ? ORDER BY s.id').all(ds.id) as Record<string, unknown>[];
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      expect([r.person_id, r.camera, r.split]).toEqual([r.sp, r.sc, r.ss]);
      expect(existsSync(path.join(ds.root_path, String(r.path)))).toBe(true);
    }
    expect(ds.root_path.startsWith(ws.artifactsDir)).toBe(true);
    const pairs = await spganHandlers['spgan.translatedPairs']({ datasetId: ds.id, personId: 1, offset: 0, limit: 10 }, ctx);
    expect(pairs.total).toBe(2);
    const cam2 = await spganHandlers['spgan.translatedPairs']({ datasetId: ds.id, personId: 1, camera: 2, offset: 0, limit: 10 }, ctx);
    expect(cam2.items.map((i) => i.camera)).toEqual([2]);
    const list = await spganHandlers['spgan.translatedDatasets']({ runJobId: train.jobId }, ctx);
    expect(list.map((d) => d.datasetId)).toEqual([ds.id]);
  });

  it('a cancelled translation leaves no dataset and no image folder', async () => {
    const ws = env.ws;
    const runJobId = (ws.db.prepare("SELECT id FROM jobs WHERE kind = 'spgan.train' AND status = 'succeeded'").get() as { id: number }).id;
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n;
    const controller = new AbortController();
    controller.abort();
    await expect(runDirect(ws, spganTranslateJob, { runJobId, datasetId: sourceId }, { signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n).toBe(before);
    const last = (ws.db.prepare("SELECT id FROM jobs WHERE kind = 'spgan.translate' ORDER BY id DESC").get() as { id: number }).id;
    expect(readdirSync(ws.jobDir(last))).not.toContain('translated');
  });

  it('a run cancelled after epoch 1 and resumed ends with the same bytes as an uninterrupted one (weights, Adam state, image pools)', async () => {
    const ws = env.ws;
    const config = { sourceDatasetId: sourceId, targetDatasetId: targetId, ...tiny, poolSize: 3, seed: 13 };
    const epoch2 = (jobId: number): Buffer[] => {
      const dir = path.join(ws.jobDir(jobId), 'checkpoints');
      return readdirSync(dir).filter((f) => f.startsWith('epoch-002')).sort().map((f) => readFileSync(path.join(dir, f)));
    };
    const whole = await runDirect(ws, spganTrainJob, config);
    const cut = await runJobInProcess(ws, spganTrainJob, config, { onMetrics: (points) => points.some((p) => p.epoch === 1) });
    expect(cut.status).toBe('cancelled');
    const resumed = await runDirect(ws, spganTrainJob, config, { resumeFrom: cut.jobId });
    expect(resumed.result.firstEpoch).toBe(2);
    const [a, b] = [epoch2(whole.jobId), epoch2(resumed.jobId)];
    expect(a.length).toBeGreaterThan(0);
    expect(b.map((x) => x.equals(a[b.indexOf(x)]!))).toEqual(a.map(() => true));
  });

  it('a resumed run continues after the last checkpoint and the viewer sees one run', async () => {
    const ws = env.ws;
    const config = { sourceDatasetId: sourceId, targetDatasetId: targetId, ...tiny, seed: 7 };
    const first = await runDirect(ws, spganTrainJob, { ...config, epochs: 1 });
    const resumed = await runDirect(ws, spganTrainJob, { ...config, epochs: 2 }, { resumeFrom: first.jobId });
    expect(resumed.result.firstEpoch).toBe(2);
    expect(resumed.logs.some((l) => l.startsWith(`Resumed after epoch 1 from job ${first.jobId}`))).toBe(true);
    expect(resumed.metrics.map((m) => m.epoch)).not.toContain(1);
    const runs = await spganHandlers['spgan.runs']({}, { ws } as ServiceContext);
    expect(runs.find((r) => r.jobId === first.jobId)!.checkpointEpochs).toEqual([1, 2]);
    expect(runs.some((r) => r.jobId === resumed.jobId)).toBe(false);
    // A resume of a resume that died before finishing an epoch still finds the last complete one up the chain.
    const stalled = addJobRow(ws, 'spgan.train', { ...config, epochs: 3 }, resumed.jobId);
    mkdirSync(ws.jobDir(stalled), { recursive: true });
    const third = await runDirect(ws, spganTrainJob, { ...config, epochs: 3 }, { resumeFrom: stalled });
    expect(third.result.firstEpoch).toBe(3);
    const after = await spganHandlers['spgan.runs']({}, { ws } as ServiceContext);
    expect(after.find((r) => r.jobId === first.jobId)!.checkpointEpochs).toEqual([1, 2, 3]);
    // Translating with the resumed job's id finds the chain's last checkpoint.
    const samples = await spganHandlers['spgan.samples']({ jobId: resumed.jobId, epoch: 1, direction: 'AtoB' }, { ws } as ServiceContext);
    expect(samples.groups.length).toBeGreaterThan(0);
  });
});
