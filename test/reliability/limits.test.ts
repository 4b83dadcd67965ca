/**
 * Resource-limit regression table: each row builds a small hostile dataset or
 * model folder in a temp folder (kept small by lowering the limit through the
 * workspace settings), runs the real importer on a real SQLite workspace and
 * states how the file must be refused: named, with the limit, before it is
 * read. Add a row for every limit bug fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImportProblem } from '../../src-main/common/contract/datasets.ts';
import { defaultResourceLimits, type ResourceLimits } from '../../src-main/common/contract/settings.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { readSettings, writeSettings } from '../../src-main/core/settings.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { saveModel } from '../../src-main/nn/model-file.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { cifarRecords, idxImages, idxLabels, writeImage } from '../datasets/fixtures.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { pngHeaderOnly } from './hostile-files.ts';

function idxHeader(n: number, h: number, w: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(h, 8);
  b.writeUInt32BE(w, 12);
  return b;
}

interface DatasetRow {
  name: string;
  limits: Partial<ResourceLimits>;
  build(dir: string): Promise<void> | void;
  /** Samples kept, and the refused files: [file, message pattern] (code too_large). */
  samples?: number;
  refused?: [string, RegExp][];
  /** The import fails as a whole with this message (a file it cannot do without). */
  error?: RegExp;
}

const datasetRows: DatasetRow[] = [
  {
    name: 'an image over the pixel limit, from its header only',
    limits: { maxImagePixels: 1000 },
    async build(d) {
      await writeImage(`${d}/a/small.png`, 10, 10, [1, 2, 3], 'png');
      await writeImage(`${d}/a/big.png`, 40, 40, [1, 2, 3], 'png');
    },
    samples: 1,
    refused: [['a/big.png', /40x40 image \(1,600 pixels\) is over the limit of 1,000 pixels \(setting limits\.maxImagePixels\)/]],
  },
  {
    name: 'a junk .jpg over the file-size limit is not read',
    limits: { maxImageFileBytes: 4096 },
    async build(d) {
      await writeImage(`${d}/a/ok.jpg`);
      writeFileSync(`${d}/a/junk.jpg`, Buffer.alloc(64 * 1024, 0x5a));
    },
    samples: 1,
    refused: [['a/junk.jpg', /file size 64 KiB is over the limit of 4 KiB \(setting limits\.maxImageFileBytes\)/]],
  },
  {
    name: 'an IDX .gz stream far longer than its header says',
    limits: {},
    build(d) {
      // The header says 2 images of 4x4; the stream holds 16 MiB more zeros (16 KiB on disk).
      writeFileSync(`${d}/train-images-idx3-ubyte.gz`, gzipSync(Buffer.concat([idxHeader(2, 4, 4), Buffer.alloc(16 * 1024 ** 2)])));
      writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels([0, 1]));
      writeFileSync(`${d}/t10k-images-idx3-ubyte.gz`, gzipSync(idxImages(2, 4, 4)));
      writeFileSync(`${d}/t10k-labels-idx1-ubyte.gz`, gzipSync(idxLabels([1, 0])));
    },
    samples: 2,
    refused: [['train-images-idx3-ubyte.gz', /gzip stream holds more than the 48 bytes the header \(2x4x4\) says/]],
  },
  {
    name: 'an IDX header over the decoded-size limit',
    limits: { maxDecodedFileBytes: 1024 ** 2 },
    build(d) {
      writeFileSync(`${d}/train-images-idx3-ubyte`, Buffer.concat([idxHeader(100_000, 28, 28), Buffer.alloc(784)]));
      writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels([0]));
      writeFileSync(`${d}/t10k-images-idx3-ubyte`, idxImages(3, 4, 4));
      writeFileSync(`${d}/t10k-labels-idx1-ubyte`, idxLabels([1, 0, 1]));
    },
    samples: 3,
    refused: [['train-images-idx3-ubyte', /header says 100000x28x28: 78,400,016 bytes is over the limit of 1 MiB \(setting limits\.maxDecodedFileBytes\)/]],
  },
  {
    name: 'a raw IDX file longer than its header says',
    limits: {},
    build(d) {
      writeFileSync(`${d}/train-images-idx3-ubyte`, Buffer.concat([idxImages(2, 4, 4), Buffer.alloc(1000)]));
      writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels([0, 1]));
      writeFileSync(`${d}/t10k-images-idx3-ubyte`, idxImages(1, 4, 4));
      writeFileSync(`${d}/t10k-labels-idx1-ubyte`, idxLabels([1]));
    },
    samples: 1,
    refused: [['train-images-idx3-ubyte', /1032 data bytes, the header \(2x4x4\) says 32/]],
  },
  {
    name: 'a CIFAR batch over the file-size limit',
    limits: { maxDecodedFileBytes: 8000 },
    build(d) {
      writeFileSync(`${d}/data_batch_1.bin`, cifarRecords(3, 1, (r) => [r]));
      writeFileSync(`${d}/test_batch.bin`, cifarRecords(2, 1, (r) => [r]));
    },
    samples: 2,
    refused: [['data_batch_1.bin', /file size 9,219 bytes is over the limit of 8,000 bytes \(setting limits\.maxDecodedFileBytes\)/]],
  },
  {
    name: 'a box list over the text-file limit',
    limits: { maxTextFileBytes: 64 },
    async build(d) {
      await writeImage(`${d}/a.jpg`);
      writeFileSync(`${d}/boxes.txt`, 'a.jpg,0,0,4,4\n'.repeat(20));
    },
    error: /boxes\.txt: file size 280 bytes is over the limit of 64 bytes \(setting limits\.maxTextFileBytes\)/,
  },
];

describe('resource limits: every importer checks before reading or allocating', () => {
  let root: string;
  let cleanup: () => void;
  let ws: Workspace;

  beforeAll(() => {
    ({ dir: root, cleanup } = tempDir('wb-limits-'));
    ws = Workspace.open(path.join(root, 'ws'));
  });
  afterAll(() => {
    ws.close();
    cleanup();
  });

  it('limits are workspace settings: defaults filled in, one changed keeps the others', () => {
    expect(readSettings(ws).limits).toEqual(defaultResourceLimits);
    const changed = writeSettings(ws, { limits: { maxImagePixels: 5 } });
    expect(changed.limits).toEqual({ ...defaultResourceLimits, maxImagePixels: 5 });
    writeSettings(ws, { limits: defaultResourceLimits });
    expect(readSettings(ws).limits).toEqual(defaultResourceLimits);
  });

  it.each(datasetRows)('$name', async (row) => {
    const dir = path.join(root, row.name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    await row.build(dir);
    writeSettings(ws, { limits: { ...defaultResourceLimits, ...row.limits } });
    try {
      if (row.error) {
        await expect(importDirect(ws, { path: dir })).rejects.toThrow(row.error);
        return;
      }
      const result = await importDirect(ws, { path: dir });
      expect(result.report.counts.samples).toBe(row.samples);
      const tooLarge = result.report.problems.filter((p: ImportProblem) => p.code === 'too_large');
      expect(tooLarge.map((p) => p.file)).toEqual(row.refused!.map(([f]) => f));
      for (const [i, [, message]] of row.refused!.entries()) expect(tooLarge[i]!.message).toMatch(message);
    } finally {
      writeSettings(ws, { limits: defaultResourceLimits });
    }
  });

  it('refuses real oversized headers at the default limits without allocating for them', async () => {
    const dir = path.join(root, 'real-headers');
    mkdirSync(`${dir}/a`, { recursive: true });
    // A 30000x30000 PNG (2.7 GB of pixels) and a 60000-cubed IDX header: a few bytes each on disk.
    writeFileSync(`${dir}/a/huge.png`, pngHeaderOnly(30000, 30000));
    await writeImage(`${dir}/a/ok.png`, 8, 8, [1, 2, 3], 'png');
    const before = process.memoryUsage();
    const result = await importDirect(ws, { path: dir });
    expect(result.report.problems).toEqual([{ file: 'a/huge.png', code: 'too_large', message: expect.stringMatching(/30000x30000 image \(900,000,000 pixels\) is over the limit of 100,000,000 pixels/) }]);
    expect(result.report.counts.samples).toBe(1);

    const idxDir = path.join(root, 'real-idx-header');
    mkdirSync(idxDir);
    writeFileSync(`${idxDir}/train-images-idx3-ubyte.gz`, gzipSync(idxHeader(60000, 60000, 60000)));
    writeFileSync(`${idxDir}/train-labels-idx1-ubyte`, idxLabels([0]));
    writeFileSync(`${idxDir}/t10k-images-idx3-ubyte`, idxImages(1, 4, 4));
    writeFileSync(`${idxDir}/t10k-labels-idx1-ubyte`, idxLabels([0]));
    const idxResult = await importDirect(ws, { path: idxDir });
    expect(idxResult.report.problems).toEqual([{ file: 'train-images-idx3-ubyte.gz', code: 'too_large', message: expect.stringMatching(/header says 60000x60000x60000: .* over the limit of 2 GiB \(setting limits\.maxDecodedFileBytes\)/) }]);
    const after = process.memoryUsage();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 ** 2);
    expect(after.rss - before.rss).toBeLessThan(256 * 1024 ** 2);
  });
});

describe('resource limits: the model import (real job processes)', () => {
  let root: string;
  let cleanup: () => void;
  let ws: Workspace;
  let jobs: JobManager;
  let good: string;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    ({ dir: root, cleanup } = tempDir('wb-limits-models-'));
    ws = Workspace.open(path.join(root, 'ws'));
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
    good = path.join(root, 'good');
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.25 }, 3);
    await saveModel(model, good);
    disposeModel(model);
  });
  afterAll(async () => {
    await jobs.close();
    ws.close();
    cleanup();
  });

  const variant = (name: string, change: (dir: string) => void): string => {
    const dir = path.join(root, name);
    cpSync(good, dir, { recursive: true });
    change(dir);
    return dir;
  };
  const setInput = (d: string, size: number): void => {
    const manifest = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')) as { spec: { input: { height: number; width: number } } };
    manifest.spec.input.height = size;
    manifest.spec.input.width = size;
    writeFileSync(path.join(d, 'model.json'), JSON.stringify(manifest));
  };

  const modelRows: { name: string; limits: Partial<ResourceLimits>; change(dir: string): void; error: RegExp }[] = [
    {
      name: 'weights.bin is a link to /dev/zero',
      limits: {},
      change: (d) => {
        rmSync(path.join(d, 'weights.bin'));
        symlinkSync('/dev/zero', path.join(d, 'weights.bin'));
      },
      error: /weights\.bin: not a regular file/,
    },
    {
      name: 'weights.bin is a FIFO (never opened, so never blocks)',
      limits: {},
      change: (d) => {
        rmSync(path.join(d, 'weights.bin'));
        execFileSync('mkfifo', [path.join(d, 'weights.bin')]);
      },
      error: /weights\.bin: not a regular file/,
    },
    {
      name: 'a 60000-squared model input',
      limits: {},
      change: (d) => setInput(d, 60000),
      error: /model\.json: the model input 60000x60000 \(3600000000 pixels\) is over the limit of 1048576 pixels \(setting limits\.maxModelInputPixels\)/,
    },
    {
      name: 'a 5000x5000 model input',
      limits: {},
      change: (d) => setInput(d, 5000),
      error: /model\.json: the model input 5000x5000 \(25000000 pixels\) is over the limit of 1048576 pixels/,
    },
    {
      name: 'a 64x64 input under a limit lowered to 32x32',
      limits: { maxModelInputPixels: 32 * 32 },
      change: (d) => setInput(d, 64),
      error: /model\.json: the model input 64x64 \(4096 pixels\) is over the limit of 1024 pixels/,
    },
    {
      name: 'weights over the weight-bytes limit',
      limits: { maxModelWeightBytes: 1000 },
      change: () => undefined,
      error: /model\.json: \d+ bytes of weights is over the limit of 1000 bytes \(setting limits\.maxModelWeightBytes\)/,
    },
  ];

  it.each(modelRows)('$name: refused with the file and the limit named', async (row) => {
    const dir = variant(row.name.replace(/\W+/g, '-'), row.change);
    writeSettings(ws, { limits: { ...defaultResourceLimits, ...row.limits } });
    try {
      const started = Date.now();
      const done = await jobs.waitFor(jobs.submit('models.import', { path: dir }, { backend: 'cpu' }).id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(row.error);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect((ws.db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n).toBe(0);
      expect(existsSync(path.join(ws.jobDir(done.id), 'model'))).toBe(false);
    } finally {
      writeSettings(ws, { limits: defaultResourceLimits });
    }
  });

  it('the same folder within the limits imports', async () => {
    const done = await jobs.waitFor(jobs.submit('models.import', { path: good }, { backend: 'cpu' }).id);
    expect(done.status, done.error ?? '').toBe('succeeded');
  });
});
