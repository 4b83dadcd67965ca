import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { datasetsHandlers } from '../../src-main/datasets/api.ts';
import { contract } from '../../src-main/common/contract/index.ts';
import { thumbnailFor, samplePixelsPng } from '../../src-main/datasets/thumbs.ts';
import { importDirect } from './import-helper.ts';
import { commitImport } from '../../src-main/datasets/import-writer.ts';
import { tempDir, writeImage, idxImages, idxLabels } from './fixtures.ts';

describe('dataset browsing, thumbnails and import safety', () => {
  let ws: Workspace;
  let ctx: ServiceContext;
  let marketId: number;
  let idxId: number;
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  // Requests go through the contract's zod schemas, as every host does.
  const call = async <K extends keyof typeof datasetsHandlers>(name: K, req: unknown): Promise<Awaited<ReturnType<(typeof datasetsHandlers)[K]>>> =>
    (await datasetsHandlers[name](contract[name].request.parse(req) as never, ctx)) as Awaited<ReturnType<(typeof datasetsHandlers)[K]>>;

  beforeAll(async () => {
    ws = Workspace.open(tempDir('wb-ws-'));
    // Handlers here never submit jobs; the job manager is not needed.
    ctx = { ws, jobs: null as unknown as JobManager, events: new EventBus() };
    const m = dir();
    for (const [split, names] of [
      ['bounding_box_train', ['0002_c1s1_000451_03.jpg', '0002_c2s1_000551_01.jpg', '0009_c3s3_070952_01.jpg']],
      ['bounding_box_test', ['0000_c1s1_000001_00.jpg', '-1_c6s1_000002_00.jpg', '0002_c5s2_000451_03.jpg']],
      ['query', ['0002_c4s1_000451_03.jpg']],
    ] as const) {
      for (const n of names) await writeImage(`${m}/${split}/${n}`, 64, 128);
    }
    marketId = (await importDirect(ws, { path: m, name: 'market' })).report.datasetId!;
    const f = dir();
    writeFileSync(`${f}/train-images-idx3-ubyte`, idxImages(30, 28, 28));
    writeFileSync(`${f}/train-labels-idx1-ubyte`, idxLabels(Array.from({ length: 30 }, (_, i) => i % 3)));
    idxId = (await importDirect(ws, { path: f, name: 'digits' })).report.datasetId!;
  });
  afterAll(() => {
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it('lists datasets with counts, format, storage and size', async () => {
    const list = await call('datasets.list', {});
    const market = list.find((d) => d.id === marketId)!;
    expect(market).toMatchObject({ name: 'market', format: 'market1501', storage: 'files', imageSize: { width: 64, height: 128 } });
    expect(market.counts).toMatchObject({ samples: 7, identities: 2, cameras: 6, splits: { train: 3, gallery: 3, query: 1 } });
    const digits = list.find((d) => d.id === idxId)!;
    expect(digits).toMatchObject({ format: 'idx', storage: 'decoded', sizeBytes: 30 * 784 });
  });

  it('pages and filters samples by split, person, camera, class and file name', async () => {
    const all = await call('datasets.samples', { datasetId: marketId, offset: 0, limit: 3 });
    expect(all.total).toBe(7);
    expect(all.items.map((s) => s.index)).toEqual([0, 1, 2]);
    const page2 = await call('datasets.samples', { datasetId: marketId, offset: 6, limit: 3 });
    expect(page2.items).toHaveLength(1);
    // Pages (id-range seek when unfiltered) tile the full list in order, same as one big page.
    const whole = await call('datasets.samples', { datasetId: marketId, limit: 100 });
    const tiled = [];
    for (let o = 0; o < 7; o += 2) tiled.push(...(await call('datasets.samples', { datasetId: marketId, offset: o, limit: 2 })).items);
    expect(tiled.map((s) => s.id)).toEqual(whole.items.map((s) => s.id));
    expect(whole.items.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await call('datasets.samples', { datasetId: marketId, split: 'gallery' })).total).toBe(3);
    expect((await call('datasets.samples', { datasetId: marketId, personId: 2 })).total).toBe(4);
    expect((await call('datasets.samples', { datasetId: marketId, personId: 2, camera: 5 })).items[0]!.path).toBe('bounding_box_test/0002_c5s2_000451_03.jpg');
    expect((await call('datasets.samples', { datasetId: marketId, search: 'C3S3' })).total).toBe(1);
    expect((await call('datasets.samples', { datasetId: marketId, search: '100%_' })).total).toBe(0);
    expect((await call('datasets.samples', { datasetId: marketId, split: 'none' })).total).toBe(0);
    const cls = await call('datasets.samples', { datasetId: idxId, label: 1, limit: 100 });
    expect(cls.total).toBe(10);
    expect(cls.items[0]).toMatchObject({ className: '1', label: 1, width: 28, height: 28 });
  });

  it('statistics per class, identity, camera and split; detail with cameras', async () => {
    const stats = await call('datasets.stats', { id: marketId });
    expect(stats.perIdentity).toEqual([
      { key: '-1', count: 1 },
      { key: '0', count: 1 },
      { key: '2', count: 4 },
      { key: '9', count: 1 },
    ]);
    expect(stats.perCamera.map((b) => b.key)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(stats.perSplit).toEqual([
      { key: 'gallery', count: 3 },
      { key: 'query', count: 1 },
      { key: 'train', count: 3 },
    ]);
    const digits = await call('datasets.stats', { id: idxId });
    expect(digits.perClass.map((b) => b.count)).toEqual([10, 10, 10]);
    const detail = await call('datasets.get', { id: marketId });
    expect(detail.cameras).toEqual([1, 2, 3, 4, 5, 6]);
    const sample = await call('datasets.sample', { id: all0() });
    expect(sample.absolutePath).toMatch(/bounding_box_test/);
    await expect(call('datasets.get', { id: 9999 })).rejects.toThrow(/Dataset 9999 does not exist/);
  });
  const all0 = (): number => (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(marketId) as { m: number }).m;

  it('thumbnails are made lazily, cached under artifacts/thumbs, and decoded samples are served as PNG', async () => {
    const id = all0();
    const thumb = await thumbnailFor(ws, id, 64);
    expect(thumb.contentType).toBe('image/jpeg');
    const meta = await sharp(thumb.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([32, 64]);
    expect(thumb.path).toBe(path.join(ws.artifactsDir, 'thumbs', String(marketId), '64', `${id}.jpg`));
    expect(existsSync(thumb.path!)).toBe(true);
    const digit = (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(idxId) as { m: number }).m + 5;
    const png = await samplePixelsPng(ws, digit);
    expect(png.contentType).toBe('image/png');
    const raw = await sharp(png.bytes).raw().toBuffer({ resolveWithObject: true });
    expect([raw.info.width, raw.info.height]).toEqual([28, 28]);
    expect(raw.data[0]).toBe(5); // image 5 is filled with value 5
    const file = await samplePixelsPng(ws, id);
    expect(file.contentType).toBe('image/jpeg');
    expect(file.path).toMatch(/\.jpg$/);
  });

  it('serves TIFF samples as PNG (browsers cannot show TIFF)', async () => {
    const d = dir();
    await writeImage(`${d}/a/1.tif`, 10, 6, [0, 0, 255], 'tiff');
    await writeImage(`${d}/b/2.jpg`, 10, 6);
    const id = (await importDirect(ws, { path: d })).report.datasetId!;
    const first = (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(id) as { m: number }).m;
    const served = await samplePixelsPng(ws, first);
    expect(served.contentType).toBe('image/png');
    expect((await sharp(served.bytes).metadata()).width).toBe(10);
    // Class folders without split folders: every sample is in the 'none' split.
    expect((await call('datasets.samples', { datasetId: id, split: 'none' })).total).toBe(2);
    await call('datasets.delete', { id });
  });

  it('verify names files that changed or vanished since import', async () => {
    const d = dir();
    await writeImage(`${d}/a/1.jpg`);
    await writeImage(`${d}/a/2.jpg`);
    const id = (await importDirect(ws, { path: d })).report.datasetId!;
    expect(await call('datasets.verify', { id })).toEqual({ checked: 2, changed: [] });
    rmSync(`${d}/a/2.jpg`);
    const v = await call('datasets.verify', { id });
    expect(v.changed).toEqual([{ file: 'a/2.jpg', code: 'vanished', message: expect.stringMatching(/missing/) }]);
    await call('datasets.delete', { id });
  });

  it('refuses a second import of the same root unless allowed', async () => {
    const market = (await call('datasets.list', {})).find((d) => d.id === marketId)!;
    await expect(importDirect(ws, { path: market.rootPath })).rejects.toThrow(/already imported as dataset/);
    const detection = await call('datasets.detect', { path: market.rootPath });
    expect(detection).toMatchObject({ format: 'market1501', alreadyImported: { datasetId: marketId } });
    const again = await importDirect(ws, { path: market.rootPath, allowDuplicate: true });
    expect(again.report.datasetId).not.toBe(marketId);
    await call('datasets.delete', { id: again.report.datasetId! });
  });

  // The import dialog showed "No known layout found here" beside the real error for a mistyped path.
  it('detect refuses a path that does not exist, naming it, instead of finding no layout there', async () => {
    const missing = path.join(dir(), 'no-such-folder');
    await expect(call('datasets.detect', { path: missing })).rejects.toMatchObject({ code: 'invalid_request', field: 'path', message: `${missing} does not exist.` });
  });

  it('the writer refuses a duplicate that raced past preflight and removes its decoded blob', async () => {
    const f = dir();
    writeFileSync(`${f}/train-images-idx3-ubyte`, idxImages(2, 28, 28));
    writeFileSync(`${f}/train-labels-idx1-ubyte`, idxLabels([0, 1]));
    const first = await importDirect(ws, { path: f });
    const blobDir = path.join(ws.artifactsDir, 'datasets', 'job-race');
    mkdirSync(blobDir, { recursive: true });
    const second = { ...first, blobDir, report: { ...first.report, datasetId: null } };
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n;
    expect(() => ws.transaction(() => commitImport(ws, first.jobId, second, false))).toThrow(/already imported as dataset/);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n).toBe(before);
    expect(existsSync(blobDir)).toBe(false);
    await call('datasets.delete', { id: first.report.datasetId! });
  });

  it('a cancelled import leaves no rows and no decoded blob', async () => {
    const f = dir();
    writeFileSync(`${f}/train-images-idx3-ubyte`, idxImages(20000, 28, 28));
    writeFileSync(`${f}/train-labels-idx1-ubyte`, idxLabels(Array.from({ length: 20000 }, () => 1)));
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n;
    const controller = new AbortController();
    let calls = 0;
    await expect(importDirect(ws, { path: f }, { signal: controller.signal, onProgress: () => ++calls === 2 && controller.abort() })).rejects.toThrow(/cancelled/);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n).toBe(before);
    const datasetsDir = path.join(ws.artifactsDir, 'datasets');
    // Only the two finished imports' folders remain (market has none: it is indexed in place).
    expect(readdirSync(datasetsDir).length).toBe(1);
  });

  it('a failed import (nothing usable) leaves nothing behind and says why', async () => {
    const f = dir();
    writeFileSync(`${f}/train-images-idx3-ubyte`, Buffer.from('not idx data at all'));
    writeFileSync(`${f}/train-labels-idx1-ubyte`, idxLabels([1]));
    await expect(importDirect(ws, { path: f })).rejects.toThrow(/no usable IDX/);
    const empty = dir();
    await expect(importDirect(ws, { path: empty })).rejects.toThrow(/Cannot tell the format/);
    expect(readdirSync(path.join(ws.artifactsDir, 'datasets')).length).toBe(1);
  });

  it('delete removes rows, the decoded blob and thumbnails', async () => {
    const f = dir();
    writeFileSync(`${f}/train-images-idx3-ubyte`, idxImages(3, 28, 28));
    writeFileSync(`${f}/train-labels-idx1-ubyte`, idxLabels([0, 1, 2]));
    const r = await importDirect(ws, { path: f });
    const id = r.report.datasetId!;
    const first = (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(id) as { m: number }).m;
    await thumbnailFor(ws, first, 32);
    await call('datasets.delete', { id });
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ?').get(id)).toEqual({ n: 0 });
    expect(existsSync(path.join(ws.artifactsDir, 'datasets', `job-${r.jobId}`))).toBe(false);
    expect(existsSync(path.join(ws.artifactsDir, 'thumbs', String(id)))).toBe(false);
  });
});
