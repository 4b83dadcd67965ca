import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, writeFileSync, utimesSync } from 'node:fs';
import { Workspace } from '../../src-main/core/workspace.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { importDirect } from './import-helper.ts';
import { tempDir, writeImage, cifarRecords, idxImages, idxLabels } from './fixtures.ts';

describe('openDatasetReader', () => {
  let ws: Workspace;
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  beforeAll(() => {
    ws = Workspace.open(tempDir('wb-ws-'));
  });
  afterAll(() => {
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it('CIFAR: planes become HWC pixels, labels and class names, split filter, read order follows the indices', async () => {
    const d = dir();
    writeFileSync(`${d}/data_batch_1.bin`, cifarRecords(4, 1, (r) => [r]));
    writeFileSync(`${d}/test_batch.bin`, cifarRecords(2, 1, () => [7]));
    const { report } = await importDirect(ws, { path: d });
    const reader = await openDatasetReader(ws.db, report.datasetId!, { split: 'train' });
    expect([reader.count, reader.height, reader.width, reader.channels]).toEqual([4, 32, 32, 3]);
    expect(Array.from(reader.labels)).toEqual([0, 1, 2, 3]);
    expect(reader.numClasses).toBe(10);
    expect(reader.classNames[1]).toBe('automobile');
    const px = await reader.read([2, 0]);
    expect(px.length).toBe(2 * 32 * 32 * 3);
    // Record r, channel ch holds (r*3+ch) % 256 everywhere: pixel 100 of the first image read (record 2).
    expect(Array.from(px.subarray(300, 303))).toEqual([6, 7, 8]);
    expect(Array.from(px.subarray(3072 + 300, 3072 + 303))).toEqual([0, 1, 2]);
    const test = await openDatasetReader(ws.db, report.datasetId!, { split: 'test', channels: 1, size: [16, 16] });
    expect([test.count, test.height, test.width, test.channels]).toEqual([2, 16, 16, 1]);
    const grey = await test.read([1]);
    expect(grey.length).toBe(256);
    // Record 1: R=3, G=4, B=5 -> luma 0.299*3 + 0.587*4 + 0.114*5 = 3.8
    expect(grey[0]).toBe(4);
    expect(test.meta(0)).toMatchObject({ split: 'test', label: 7, absolutePath: null });
  });

  it('IDX: grey images, reads stay fast (blob read once)', async () => {
    const d = dir();
    writeFileSync(`${d}/train-images-idx3-ubyte`, idxImages(500, 28, 28));
    writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels(Array.from({ length: 500 }, (_, i) => i % 10)));
    const { report } = await importDirect(ws, { path: d });
    const reader = await openDatasetReader(ws.db, report.datasetId!);
    expect([reader.count, reader.height, reader.width, reader.channels]).toEqual([500, 28, 28, 1]);
    const idx = Array.from({ length: 128 }, (_, i) => (i * 7) % 500);
    const px = await reader.read(idx);
    for (let k = 0; k < 128; k++) expect(px[k * 784 + 5]).toBe(idx[k]! % 256);
    const rgb = await openDatasetReader(ws.db, report.datasetId!, { channels: 3 });
    expect((await rgb.read([3])).subarray(0, 3)).toEqual(new Uint8Array([3, 3, 3]));
  });

  it('image files: decodes with sharp at the common size, labelBy person remaps ids, junk stays -1', async () => {
    const d = dir();
    await writeImage(`${d}/bounding_box_train/0007_c1s1_000001_00.jpg`, 8, 16, [250, 0, 0]);
    await writeImage(`${d}/bounding_box_train/0003_c2s1_000001_00.jpg`, 8, 16, [0, 250, 0]);
    await writeImage(`${d}/bounding_box_train/-1_c2s1_000001_00.jpg`, 8, 16, [0, 0, 250]);
    await writeImage(`${d}/bounding_box_train/0007_c3s1_000002_00.jpg`, 8, 16, [0, 0, 250]);
    const { report } = await importDirect(ws, { path: d });
    const reader = await openDatasetReader(ws.db, report.datasetId!, { labelBy: 'person' });
    expect([reader.height, reader.width, reader.channels]).toEqual([16, 8, 3]);
    // Sorted by file name: -1, 0003, 0007, 0007 -> labels -1, 0, 1, 1
    expect(Array.from(reader.labels)).toEqual([-1, 0, 1, 1]);
    expect(reader.classNames).toEqual(['0003', '0007']);
    expect(reader.meta(1)).toMatchObject({ personId: 3, camera: 2, split: 'train' });
    const px = await reader.read([2]);
    expect(px[0]).toBeGreaterThan(200); // red
    expect(px[1]).toBeLessThan(40);
  });

  it('names the file when an indexed image changed or vanished after import', async () => {
    const d = dir();
    await writeImage(`${d}/a/1.jpg`);
    await writeImage(`${d}/a/2.jpg`);
    await writeImage(`${d}/b/3.jpg`);
    const { report } = await importDirect(ws, { path: d });
    writeFileSync(`${d}/a/2.jpg`, 'changed');
    utimesSync(`${d}/a/2.jpg`, new Date(), new Date(Date.now() + 5000));
    rmSync(`${d}/b/3.jpg`);
    const reader = await openDatasetReader(ws.db, report.datasetId!);
    await expect(reader.read([0])).resolves.toHaveLength(8 * 8 * 3);
    await expect(reader.read([1])).rejects.toThrow(/a\/2\.jpg changed since import/);
    await expect(reader.read([2])).rejects.toThrow(/b\/3\.jpg is missing/);
  });

  it('refuses mixed image sizes without an explicit size, naming the option', async () => {
    const d = dir();
    await writeImage(`${d}/a/1.jpg`, 8, 8);
    await writeImage(`${d}/a/2.jpg`, 10, 12);
    const { report } = await importDirect(ws, { path: d });
    await expect(openDatasetReader(ws.db, report.datasetId!)).rejects.toThrow(/differ in size; pass size/);
    const reader = await openDatasetReader(ws.db, report.datasetId!, { size: [6, 6] });
    expect((await reader.read([0, 1])).length).toBe(2 * 6 * 6 * 3);
  });
});
