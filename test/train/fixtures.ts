/** A small real dataset in a real workspace: IDX files written to a temp folder and imported by the datasets importer. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../../src-main/core/workspace.ts';
import { datasetImportJob } from '../../src-main/datasets/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { mulberry32 } from '../../src-main/common/random.ts';

function idxImages(images: Uint8Array, n: number, h: number, w: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x00000803, 0);
  head.writeUInt32BE(n, 4);
  head.writeUInt32BE(h, 8);
  head.writeUInt32BE(w, 12);
  return Buffer.concat([head, Buffer.from(images)]);
}

function idxLabels(labels: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x00000801, 0);
  head.writeUInt32BE(labels.length, 4);
  return Buffer.concat([head, Buffer.from(labels)]);
}

/** Class c: a bright 3x3 block in quadrant c on noise, so a tiny ResNet can learn it. */
function makeSplit(n: number, size: number, classes: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = mulberry32(seed);
  const images = new Uint8Array(n * size * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let p = 0; p < size * size; p++) images[i * size * size + p] = Math.floor(rng() * 60);
    const oy = c < 2 ? 1 : size - 4;
    const ox = c % 2 === 0 ? 1 : size - 4;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) images[i * size * size + (oy + y) * size + ox + x] = 200 + Math.floor(rng() * 55);
  }
  return { images, labels };
}

export async function importTinyIdx(ws: Workspace, root: string, o: { train?: number; test?: number; size?: number; classes?: number } = {}): Promise<number> {
  const size = o.size ?? 8;
  const classes = o.classes ?? 4;
  mkdirSync(root, { recursive: true });
  const train = makeSplit(o.train ?? 64, size, classes, 1);
  const test = makeSplit(o.test ?? 32, size, classes, 2);
  writeFileSync(path.join(root, 'train-images-idx3-ubyte'), idxImages(train.images, train.labels.length, size, size));
  writeFileSync(path.join(root, 'train-labels-idx1-ubyte'), idxLabels(train.labels));
  writeFileSync(path.join(root, 't10k-images-idx3-ubyte'), idxImages(test.images, test.labels.length, size, size));
  writeFileSync(path.join(root, 't10k-labels-idx1-ubyte'), idxLabels(test.labels));
  const out = await runJobInProcess(ws, datasetImportJob, { path: root, format: 'idx', name: 'tiny' });
  if (out.status !== 'succeeded') throw new Error(`fixture import failed: ${out.error}`);
  const row = ws.db.prepare('SELECT id FROM datasets ORDER BY id DESC LIMIT 1').get() as { id: number };
  return row.id;
}
