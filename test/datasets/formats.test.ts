/**
 * Format regression table (Netron style): each row builds a small dataset in a
 * temp folder, imports it through the real runner and writer, and states what
 * must come out. Add a row for every format bug fixed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DatasetFormat, ImportProblem } from '../../src-main/common/contract/datasets.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { defaultResourceLimits } from '../../src-main/common/contract/settings.ts';
import { datasetDetail } from '../../src-main/datasets/queries.ts';
import { importDirect } from './import-helper.ts';
import { probeImage } from '../../src-main/datasets/formats/files.ts';
import { detectFormats } from '../../src-main/datasets/formats/registry.ts';
import { tempDir, writeImage, cifarRecords, idxImages, idxLabels, gzipSync, symlinkSync, writeFileSync, mkdirSync } from './fixtures.ts';

interface Row {
  name: string;
  build(dir: string): Promise<void>;
  format?: DatasetFormat;
  expect: {
    format: DatasetFormat;
    samples: number;
    classes?: number;
    identities?: number;
    cameras?: number;
    splits?: Record<string, number>;
    withBoxes?: number;
    /** Problem codes by file, exactly (order ignored). */
    problems?: [string, ImportProblem['code']][];
    warning?: RegExp;
    classNames?: string[];
  };
}

const isRoot = process.getuid?.() === 0;

const table: Row[] = [
  {
    name: 'class folders',
    async build(d) {
      await writeImage(`${d}/cat/a.jpg`);
      await writeImage(`${d}/cat/b.png`, 8, 8, [1, 2, 3], 'png');
      await writeImage(`${d}/dog/c.jpg`);
      // 2 KiB of trailing data after the JPEG end marker (some cameras do this): not truncated.
      const { readFileSync } = await import('node:fs');
      writeFileSync(`${d}/dog/c.jpg`, Buffer.concat([readFileSync(`${d}/dog/c.jpg`), Buffer.alloc(2048, 7)]));
    },
    expect: { format: 'imagefolder', samples: 3, classes: 2, splits: { none: 3 }, classNames: ['cat', 'dog'] },
  },
  {
    name: 'class folders under train/val split folders, union of classes',
    async build(d) {
      await writeImage(`${d}/train/cat/a.jpg`);
      await writeImage(`${d}/train/dog/b.jpg`);
      await writeImage(`${d}/val/cat/c.jpg`);
      await writeImage(`${d}/val/emu/d.jpg`);
    },
    expect: { format: 'imagefolder', samples: 4, classes: 3, splits: { train: 2, val: 2 }, classNames: ['cat', 'dog', 'emu'] },
  },
  {
    name: 'broken files: truncated JPEG, garbage with .jpg, zero bytes, non-image, empty class folder, symlink loop',
    async build(d) {
      await writeImage(`${d}/cat/good.jpg`);
      await writeImage(`${d}/cat/trunc.jpg`, 32, 32);
      const { readFileSync } = await import('node:fs');
      const full = readFileSync(`${d}/cat/trunc.jpg`);
      writeFileSync(`${d}/cat/trunc.jpg`, full.subarray(0, Math.floor(full.length / 2)));
      writeFileSync(`${d}/cat/garbage.jpg`, 'this is not a jpeg at all');
      writeFileSync(`${d}/cat/empty.png`, '');
      writeFileSync(`${d}/cat/notes.txt`, 'hello');
      mkdirSync(`${d}/empty`, { recursive: true });
      symlinkSync(`${d}/cat`, `${d}/cat/loop`);
    },
    expect: {
      format: 'imagefolder',
      samples: 1,
      classes: 2,
      problems: [
        ['cat/trunc.jpg', 'truncated_image'],
        ['cat/garbage.jpg', 'corrupt_image'],
        ['cat/empty.png', 'corrupt_image'],
        ['cat/notes.txt', 'not_an_image'],
        ['cat/loop', 'symlink_loop'],
        ['empty', 'empty_folder'],
      ],
    },
  },
  ...(isRoot
    ? []
    : [
        {
          name: 'unreadable file (no read permission)',
          async build(d: string) {
            await writeImage(`${d}/cat/a.jpg`);
            await writeImage(`${d}/cat/locked.jpg`);
            chmodSync(`${d}/cat/locked.jpg`, 0o000);
          },
          expect: { format: 'imagefolder' as const, samples: 1, problems: [['cat/locked.jpg', 'unreadable']] as [string, ImportProblem['code']][] },
        },
      ]),
  {
    name: 'CIFAR-10 binaries with names, a partial trailing record and a bad label',
    async build(d) {
      writeFileSync(`${d}/data_batch_1.bin`, cifarRecords(5, 1, (r) => [r % 10]));
      writeFileSync(`${d}/data_batch_2.bin`, Buffer.concat([cifarRecords(3, 1, (r) => [r === 1 ? 200 : 3]), Buffer.alloc(100)]));
      writeFileSync(`${d}/test_batch.bin`, cifarRecords(4, 1, () => [9]));
      writeFileSync(`${d}/batches.meta.txt`, 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    },
    expect: {
      format: 'cifar10',
      samples: 11,
      classes: 10,
      splits: { train: 7, test: 4 },
      problems: [
        ['data_batch_2.bin', 'bad_magic'],
        ['data_batch_2.bin#1', 'label_mismatch'],
      ],
    },
  },
  {
    name: 'CIFAR-100 train.bin/test.bin with fine and coarse labels in the release folder',
    async build(d) {
      mkdirSync(`${d}/cifar-100-binary`);
      writeFileSync(`${d}/cifar-100-binary/train.bin`, cifarRecords(6, 2, (r) => [r % 20, 50 + r]));
      writeFileSync(`${d}/cifar-100-binary/test.bin`, cifarRecords(2, 2, () => [1, 99]));
      writeFileSync(`${d}/cifar-100-binary/fine_label_names.txt`, Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n'));
      writeFileSync(`${d}/cifar-100-binary/coarse_label_names.txt`, Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n'));
    },
    expect: { format: 'cifar100', samples: 8, classes: 100, splits: { train: 6, test: 2 } },
  },
  {
    name: 'IDX gzipped train + plain t10k',
    async build(d) {
      writeFileSync(`${d}/train-images-idx3-ubyte.gz`, gzipSync(idxImages(6, 4, 5)));
      writeFileSync(`${d}/train-labels-idx1-ubyte.gz`, gzipSync(idxLabels([0, 1, 2, 3, 4, 9])));
      writeFileSync(`${d}/t10k-images-idx3-ubyte`, idxImages(2, 4, 5));
      writeFileSync(`${d}/t10k-labels-idx1-ubyte`, idxLabels([5, 6]));
    },
    expect: { format: 'idx', samples: 8, classes: 10, splits: { train: 6, test: 2 } },
  },
  {
    name: 'IDX with a wrong magic number and labels that disagree with the images',
    async build(d) {
      writeFileSync(`${d}/train-images-idx3-ubyte`, idxImages(3, 4, 4));
      writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels([1, 2]));
      writeFileSync(`${d}/t10k-images-idx3-ubyte`, idxImages(2, 4, 4, 0x00000801));
      writeFileSync(`${d}/t10k-labels-idx1-ubyte`, idxLabels([1, 2]));
      writeFileSync(`${d}/val-images-idx3-ubyte`, idxImages(2, 4, 4));
      writeFileSync(`${d}/val-labels-idx1-ubyte`, idxLabels([3, 4]));
    },
    expect: {
      format: 'idx',
      samples: 2,
      splits: { val: 2 },
      problems: [
        ['train-labels-idx1-ubyte', 'label_mismatch'],
        ['t10k-images-idx3-ubyte', 'bad_magic'],
      ],
    },
  },
  {
    name: 'Market-1501 split folders, junk -1 and distractor 0000, a badly named file',
    async build(d) {
      await writeImage(`${d}/bounding_box_train/0002_c1s1_000451_03.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_train/0002_c2s1_000551_01.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_train/0007_c3s3_070952_01.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_test/0000_c1s1_000001_00.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_test/-1_c6s1_000002_00.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_test/0002_c5s2_000451_03.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_test/holiday.jpg`, 8, 16);
      await writeImage(`${d}/query/0002_c4s1_000451_03.jpg`, 8, 16);
      writeFileSync(`${d}/bounding_box_test/Thumbs.db`, 'x');
    },
    expect: {
      format: 'market1501',
      samples: 7,
      identities: 2,
      cameras: 6,
      splits: { train: 3, gallery: 3, query: 1 },
      problems: [['bounding_box_test/holiday.jpg', 'bad_name']],
    },
  },
  {
    name: 'Market-1501 inside the archive wrapper folder; extra folders named in a warning',
    async build(d) {
      await writeImage(`${d}/Market-1501-v15.09.15/bounding_box_train/0002_c1s1_000451_03.jpg`, 8, 16);
      await writeImage(`${d}/Market-1501-v15.09.15/query/0002_c4s1_000451_03.jpg`, 8, 16);
      await writeImage(`${d}/Market-1501-v15.09.15/gt_bbox/0002_c4s1_000451_00.jpg`, 8, 16);
    },
    expect: { format: 'market1501', samples: 2, splits: { train: 1, query: 1 }, warning: /not imported.*gt_bbox/ },
  },
  {
    name: 'DukeMTMC-reID names: warns that the set was withdrawn',
    async build(d) {
      await writeImage(`${d}/bounding_box_train/0001_c2_f0046182.jpg`, 8, 16);
      await writeImage(`${d}/bounding_box_train/0005_c8_f0000001.jpg`, 8, 16);
      await writeImage(`${d}/query/0001_c7_f0106449.jpg`, 8, 16);
    },
    expect: { format: 'dukemtmc', samples: 3, identities: 2, cameras: 3, splits: { train: 2, query: 1 }, warning: /withdrawn/ },
  },
  {
    name: 'MSMT17 train/test person folders, query/gallery from the list files',
    async build(d) {
      await writeImage(`${d}/train/0000/0000_000_01_0303morning_0015_0.jpg`, 8, 16);
      await writeImage(`${d}/train/0001/0001_003_15_0303noon_0111_4_ex.jpg`, 8, 16);
      await writeImage(`${d}/test/0367/0367_010_10_0303noon_0606_2.jpg`, 8, 16);
      await writeImage(`${d}/test/0367/0367_011_07_0303noon_0607_2.jpg`, 8, 16);
      writeFileSync(`${d}/list_query.txt`, '0367/0367_010_10_0303noon_0606_2.jpg 0\n');
      writeFileSync(`${d}/list_gallery.txt`, '0367/0367_011_07_0303noon_0607_2.jpg 0\n');
    },
    expect: { format: 'msmt17', samples: 4, identities: 3, cameras: 4, splits: { train: 2, query: 1, gallery: 1 } },
  },
  {
    name: 'domain folders (Office-31 style, with images/ level)',
    async build(d) {
      for (const dom of ['amazon', 'webcam']) {
        await writeImage(`${d}/${dom}/images/back_pack/1.jpg`);
        await writeImage(`${d}/${dom}/images/bike/2.jpg`);
      }
    },
    expect: { format: 'domains', samples: 4, classes: 2 },
  },
  {
    name: 'CUB-200-2011 files with boxes, 1-based classes, a label for a missing image and a missing file',
    async build(d) {
      const c = `${d}/CUB_200_2011`;
      await writeImage(`${c}/images/001.Albatross/a.jpg`, 20, 10);
      await writeImage(`${c}/images/002.Auklet/b.jpg`, 20, 10);
      writeFileSync(`${c}/images.txt`, '1 001.Albatross/a.jpg\n2 002.Auklet/b.jpg\n3 002.Auklet/gone.jpg\n');
      writeFileSync(`${c}/image_class_labels.txt`, '1 1\n2 2\n3 2\n4 1\n');
      writeFileSync(`${c}/train_test_split.txt`, '1 1\n2 0\n3 0\n');
      writeFileSync(`${c}/bounding_boxes.txt`, '1 2.0 1.0 10.0 5.0\n2 15.0 5.0 10.0 10.0\n');
      writeFileSync(`${c}/classes.txt`, '1 001.Albatross\n2 002.Auklet\n');
    },
    expect: {
      format: 'cub200',
      samples: 2,
      classes: 2,
      splits: { train: 1, test: 1 },
      withBoxes: 2,
      classNames: ['001.Albatross', '002.Auklet'],
      problems: [
        ['image_class_labels.txt', 'label_mismatch'],
        ['CUB_200_2011/images/002.Auklet/gone.jpg', 'missing_file'],
      ],
    },
  },
  {
    name: 'box list next to images/ (boxes in original coordinates, clipped), labels and synsets',
    async build(d) {
      await writeImage(`${d}/images/x1.JPEG`, 16, 12);
      await writeImage(`${d}/images/x2.JPEG`, 16, 12);
      writeFileSync(`${d}/boxes.txt`, 'x1.JPEG,1,1,30,30\nx1.JPEG,2,2,4,4\nx2.JPEG,0,0,8,8\nbad line\nmissing.JPEG,0,0,1,1\n');
      writeFileSync(`${d}/labels.txt`, 'x1.JPEG 1\nx2.JPEG 0\n');
      writeFileSync(`${d}/synset_words.txt`, 'n01 tench, Tinca tinca\nn02 goldfish, Carassius auratus\n');
    },
    expect: {
      format: 'boxlist',
      samples: 2,
      classes: 2,
      withBoxes: 2,
      classNames: ['tench', 'goldfish'],
      problems: [
        ['boxes.txt:4', 'bad_line'],
        ['missing.JPEG', 'missing_file'],
      ],
    },
  },
  {
    name: 'manual override: a Market-named folder read as plain class folders is refused nothing, detection is skipped',
    format: 'imagefolder',
    async build(d) {
      await writeImage(`${d}/bounding_box_train/0002_c1s1_000451_03.jpg`, 8, 16);
      await writeImage(`${d}/query/0002_c4s1_000451_03.jpg`, 8, 16);
    },
    expect: { format: 'imagefolder', samples: 2, classes: 2 },
  },
];

describe('header probe', () => {
  it('reports a file that vanished between listing and reading, and a folder that is not a dataset', async () => {
    const dir = tempDir();
    const problems: ImportProblem[] = [];
    const ctx = {
      root: dir,
      signal: new AbortController().signal,
      blobDir: path.join(dir, 'blob'),
      limits: defaultResourceLimits,
      problem: (file: string, code: ImportProblem['code'], message: string) => problems.push({ file, code, message }),
      warn: () => {},
      progress: async () => {},
      seen: () => {},
    };
    expect(probeImage(ctx, 'gone.jpg')).toBeNull();
    expect(problems).toEqual([{ file: 'gone.jpg', code: 'vanished', message: expect.stringMatching(/disappeared/) }]);
    expect(detectFormats(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('dataset format table', () => {
  let ws: Workspace;
  const dirs: string[] = [];
  beforeAll(() => {
    ws = Workspace.open(tempDir('wb-ws-'));
  });
  afterAll(() => {
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it.each(table.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const dir = tempDir();
    dirs.push(dir);
    await row.build(dir);
    const result = await importDirect(ws, { path: dir, ...(row.format ? { format: row.format } : {}) });
    const r = result.report;
    const e = row.expect;
    expect(r.format).toBe(e.format);
    expect(r.formatSource).toBe(row.format ? 'override' : 'detected');
    expect(r.counts.samples).toBe(e.samples);
    if (e.classes !== undefined) expect(r.counts.classes).toBe(e.classes);
    if (e.identities !== undefined) expect(r.counts.identities).toBe(e.identities);
    if (e.cameras !== undefined) expect(r.counts.cameras).toBe(e.cameras);
    if (e.splits !== undefined) expect(r.counts.splits).toEqual(e.splits);
    if (e.withBoxes !== undefined) expect(r.counts.withBoxes).toBe(e.withBoxes);
    const got = r.problems.map((p) => [p.file, p.code]);
    expect(got.sort()).toEqual([...(e.problems ?? [])].sort());
    if (e.warning) expect(r.warnings.some((w) => e.warning!.test(w))).toBe(true);
    // The writer committed what the report says.
    const detail = datasetDetail(ws.db, r.datasetId!);
    expect(detail.counts.samples).toBe(e.samples);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ?').get(r.datasetId) as { n: number }).n).toBe(e.samples);
    if (e.classNames) expect(detail.classes.map((c) => c.name)).toEqual(e.classNames);
    // Decoded formats leave exactly one finished blob and no partial file.
    const blobDir = path.join(ws.artifactsDir, 'datasets', `job-${result.jobId}`);
    if (result.blob) expect(readdirSync(blobDir)).toEqual(['images.u8']);
    else expect(existsSync(blobDir)).toBe(false);
  });
});
