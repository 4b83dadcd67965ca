import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { contract } from '../../src-main/common/contract/index.ts';
import { augmentHandlers } from '../../src-main/augment/api.ts';
import { applyPipeline, sampleSeed } from '../../src-main/augment/pipeline.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir, cifarRecords } from '../datasets/fixtures.ts';

describe('augmentation preview and saved pipelines', () => {
  let ws: Workspace;
  let ctx: ServiceContext;
  let datasetId: number;
  let src: string;
  const call = async <K extends keyof typeof augmentHandlers>(name: K, req: unknown): Promise<Awaited<ReturnType<(typeof augmentHandlers)[K]>>> =>
    (await augmentHandlers[name](contract[name].request.parse(req) as never, ctx)) as Awaited<ReturnType<(typeof augmentHandlers)[K]>>;
  const spec = {
    steps: [
      { transform: 'padCrop', options: { padding: 4 } },
      { transform: 'horizontalFlip' },
      { transform: 'randomErasing', options: { p: 1, fill: 'zero' } },
    ],
  };

  beforeAll(async () => {
    ws = Workspace.open(tempDir('wb-ws-'));
    ctx = { ws, jobs: null as unknown as JobManager, events: new EventBus() };
    src = tempDir();
    writeFileSync(`${src}/data_batch_1.bin`, cifarRecords(20, 1, (r) => [r % 10]));
    writeFileSync(`${src}/test_batch.bin`, cifarRecords(5, 1, () => [0]));
    datasetId = (await importDirect(ws, { path: src })).report.datasetId!;
  });
  afterAll(() => {
    ws.close();
    rmSync(ws.dir, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  });

  it('lists transforms with a parameter schema for every option', async () => {
    const list = await call('augment.transforms', {});
    const names = list.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['randomErasing', 'patchShuffle', 'horizontalFlip', 'padCrop', 'randomResizedCrop', 'resize', 'normalize']));
    const re = list.find((t) => t.name === 'randomErasing')!;
    expect(re.params.map((p) => p.name)).toEqual(expect.arrayContaining(['p', 'area', 'aspect', 'attempts', 'fill']));
    expect(Object.keys(re.presets)).toEqual(['paper', 'torchvision']);
  });

  it('names the pipeline when a step cannot take the dataset images (a typed error, not an internal failure)', async () => {
    // CIFAR images have 3 channels; two means fit neither 1 nor 3 channels.
    const bad = { steps: [{ transform: 'normalize', options: { mean: [0.5, 0.5], std: [0.2, 0.2] } }] };
    await expect(call('augment.preview', { datasetId, pipeline: bad, seed: 1, count: 1 })).rejects.toMatchObject({ code: 'invalid_request', field: 'pipeline' });
  });

  it('shows the same pixels the training loader produces for the same seed, epoch and index', async () => {
    const result = await call('augment.preview', { datasetId, pipeline: spec, seed: 11, epoch: 2, count: 4 });
    expect(result.split).toBe('train');
    expect(result.items).toHaveLength(4);
    const reader = await openDatasetReader(ws.db, datasetId, { split: 'train' });
    for (const item of result.items) {
      const i = reader.sampleIds.indexOf(item.sampleId);
      const pixels = Float32Array.from(await reader.read([i]));
      const trained = applyPipeline(spec, { data: pixels, n: 1, h: 32, w: 32, c: 3 }, new Uint32Array([sampleSeed(11, 2, i)]));
      expect(item.params).toEqual(trained.params[0]);
      const png = Buffer.from(item.augmented.split(',')[1]!, 'base64');
      const decoded = await sharp(png).raw().toBuffer();
      expect(Array.from(decoded)).toEqual(Array.from(trained.data).map((v) => Math.round(Math.min(255, Math.max(0, v)))));
      const box = item.params.steps[2]!.params as { erase: boolean };
      expect(box.erase).toBe(true);
    }
    const again = await call('augment.preview', { datasetId, pipeline: spec, seed: 11, epoch: 2, count: 4 });
    expect(again.items.map((i) => i.augmented)).toEqual(result.items.map((i) => i.augmented));
    // Picking the same samples by id seeds them the same way (same split index), so the pixels match.
    const picked = await call('augment.preview', { datasetId, pipeline: spec, seed: 11, epoch: 2, sampleIds: result.items.map((i) => i.sampleId) });
    expect(picked.split).toBe('train');
    expect(picked.items.map((i) => i.augmented)).toEqual(result.items.map((i) => i.augmented));
    // A test sample is indexed in the whole dataset (no split holds all the chosen samples).
    const testId = (ws.db.prepare("SELECT id FROM samples WHERE dataset_id = ? AND split = 'test' LIMIT 1").get(datasetId) as { id: number }).id;
    expect((await call('augment.preview', { datasetId, pipeline: spec, sampleIds: [testId] })).split).toBeNull();
  });

  it('a new seed with the same imageSeed re-draws the parameters on the same images; another imageSeed picks other images', async () => {
    const ids = (r: { items: { sampleId: number }[] }) => r.items.map((i) => i.sampleId);
    const drawn = (r: { items: { params: unknown }[] }) => JSON.stringify(r.items.map((i) => i.params));
    const first = await call('augment.preview', { datasetId, pipeline: spec, seed: 3, imageSeed: 40, count: 4 });
    const reseeded = await call('augment.preview', { datasetId, pipeline: spec, seed: 4, imageSeed: 40, count: 4 });
    expect(ids(reseeded)).toEqual(ids(first));
    expect(drawn(reseeded)).not.toBe(drawn(first));
    const others = await call('augment.preview', { datasetId, pipeline: spec, seed: 3, imageSeed: 41, count: 4 });
    expect(ids(others)).not.toEqual(ids(first));
    // Without imageSeed the seed picks the images, as before.
    expect(ids(await call('augment.preview', { datasetId, pipeline: spec, seed: 40, count: 4 }))).toEqual(ids(first));
  });

  it('saves, lists, gets, refuses duplicate names, previews by id and deletes pipelines', async () => {
    const saved = await call('augment.pipelines.save', { name: 'cifar', spec });
    expect(saved.spec.steps).toHaveLength(3);
    await expect(call('augment.pipelines.save', { name: 'cifar', spec })).rejects.toThrow(/exists/);
    await expect(call('augment.pipelines.save', { name: 'bad', spec: { steps: [{ transform: 'nope' }] } })).rejects.toThrow(/unknown transform/);
    expect((await call('augment.pipelines.list', {})).map((p) => p.name)).toEqual(['cifar']);
    expect((await call('augment.pipelines.get', { name: 'cifar' })).id).toBe(saved.id);
    const byId = await call('augment.preview', { datasetId, pipeline: { id: saved.id }, sampleIds: [saved.id > 0 ? reader0() : 0], seed: 1 });
    expect(byId.items).toHaveLength(1);
    await call('augment.pipelines.delete', { id: saved.id });
    await expect(call('augment.pipelines.get', { id: saved.id })).rejects.toThrow(/does not exist/);
  });
  const reader0 = (): number => (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(datasetId) as { m: number }).m;
});
