import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DatasetFormat } from '../../common/contract/datasets.ts';
import type { FormatImporter, ImportContext, IndexedSample } from './types.ts';
import { confinedFileNames, fileNames, LimitError, readLimitedFile, readTextFile, subdirs } from './files.ts';
import { BlobWriter } from './blob-writer.ts';

const cifar10Names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const pixels = 32 * 32 * 3;

/** The binaries may sit in root or in the release's own folder (cifar-10-batches-bin, cifar-100-binary). */
function binDir(root: string, want: (names: string[]) => boolean): string | null {
  if (want(fileNames(root))) return root;
  for (const d of subdirs(root)) if (want(fileNames(path.join(root, d)))) return path.join(root, d);
  return null;
}

const is10 = (names: string[]): boolean => names.some((n) => /^data_batch_\d+\.bin$/.test(n) || n === 'test_batch.bin');
const is100 = (names: string[]): boolean => names.includes('train.bin') || names.includes('test.bin');

function readNames(ctx: ImportContext, file: string): string[] | null {
  if (!existsSync(file)) return null;
  return readTextFile(ctx, file)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * Decodes CIFAR records (label byte(s) + 3072 bytes of R, G and B planes) into
 * HWC pixels in one blob. Partial trailing records and labels out of range are
 * reported per file; the good records are kept.
 */
async function decodeCifar(ctx: ImportContext, dir: string, files: { name: string; split: string }[], labelBytes: 1 | 2, numClasses: number): Promise<{ samples: IndexedSample[]; blob: BlobWriter }> {
  const blob = new BlobWriter(ctx.blobDir, 32, 32, 3);
  const samples: IndexedSample[] = [];
  const record = labelBytes + pixels;
  const hwc = new Uint8Array(pixels);
  try {
    for (const f of files) {
      const abs = path.join(dir, f.name);
      const relPath = path.relative(ctx.root, abs).split(path.sep).join('/');
      ctx.seen();
      let data: Buffer;
      try {
        // Size checked on the open file before reading: a file over the limit is skipped, not loaded.
        data = readLimitedFile(abs, relPath, ctx.limits, 'maxDecodedFileBytes');
      } catch (err) {
        if (err instanceof LimitError) ctx.problem(relPath, 'too_large', err.detail);
        else ctx.problem(relPath, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'vanished' : 'unreadable', `cannot read: ${(err as Error).message}`);
        continue;
      }
      const mtimeMs = Math.floor(statSync(abs).mtimeMs);
      const count = Math.floor(data.length / record);
      if (data.length % record !== 0 || count === 0) {
        ctx.problem(relPath, 'bad_magic', `${data.length} bytes is not a whole number of ${record}-byte CIFAR records; ${count} complete records kept`);
      }
      for (let r = 0; r < count; r++) {
        const off = r * record;
        const fine = data[off + labelBytes - 1]!;
        const coarse = labelBytes === 2 ? data[off]! : null;
        if (fine >= numClasses) {
          ctx.problem(`${relPath}#${r}`, 'label_mismatch', `label ${fine} outside 0..${numClasses - 1}; record skipped`);
          continue;
        }
        // [3,32,32] planes -> [32,32,3] HWC
        const src = off + labelBytes;
        for (let p = 0; p < 1024; p++) {
          hwc[p * 3] = data[src + p]!;
          hwc[p * 3 + 1] = data[src + 1024 + p]!;
          hwc[p * 3 + 2] = data[src + 2048 + p]!;
        }
        samples.push({
          path: `${relPath}#${r}`,
          split: f.split,
          label: fine,
          width: 32,
          height: 32,
          channels: 3,
          sizeBytes: record,
          mtimeMs,
          extra: coarse !== null ? { blobIndex: blob.n, coarse } : { blobIndex: blob.n },
        });
        blob.add(hwc);
        if (r % 2000 === 0) await ctx.progress(samples.length, null, `decoding ${f.name}`);
      }
    }
  } catch (err) {
    blob.abort();
    throw err;
  }
  return { samples, blob };
}

function cifarImporter(format: DatasetFormat): FormatImporter {
  const ten = format === 'cifar10';
  return {
    format,
    title: ten ? 'CIFAR-10 binary' : 'CIFAR-100 binary',
    layout: ten ? 'data_batch_1..5.bin, test_batch.bin, batches.meta.txt' : 'train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt',
    decoded: true,
    detect(root) {
      const dir = binDir(root, ten ? is10 : is100);
      return dir ? { score: 1, reason: ten ? 'CIFAR-10 data_batch_*.bin / test_batch.bin' : 'CIFAR-100 train.bin / test.bin' } : null;
    },
    async run(ctx) {
      const dir = binDir(ctx.root, ten ? is10 : is100);
      if (!dir) throw new Error(`${ctx.root}: no ${ten ? 'data_batch_*.bin or test_batch.bin' : 'train.bin or test.bin'} found.`);
      const names = confinedFileNames(ctx, dir);
      const files = ten
        ? [...names.filter((n) => /^data_batch_\d+\.bin$/.test(n)).map((name) => ({ name, split: 'train' })), ...names.filter((n) => n === 'test_batch.bin').map((name) => ({ name, split: 'test' }))]
        : [...names.filter((n) => n === 'train.bin').map((name) => ({ name, split: 'train' })), ...names.filter((n) => n === 'test.bin').map((name) => ({ name, split: 'test' }))];
      let classes = ten ? readNames(ctx, path.join(dir, 'batches.meta.txt')) : readNames(ctx, path.join(dir, 'fine_label_names.txt'));
      const expected = ten ? 10 : 100;
      if (classes && classes.length !== expected) {
        ctx.problem(ten ? 'batches.meta.txt' : 'fine_label_names.txt', 'label_mismatch', `${classes.length} names, expected ${expected}; numbered names used`);
        classes = null;
      }
      classes ??= ten ? cifar10Names : Array.from({ length: 100 }, (_, i) => `class_${i}`);
      const coarse = ten ? null : readNames(ctx, path.join(dir, 'coarse_label_names.txt'));
      const { samples, blob } = await decodeCifar(ctx, dir, files, ten ? 1 : 2, expected);
      return { samples, classes, blob: blob.finish(), extra: coarse ? { coarseLabelNames: coarse } : {} };
    },
  };
}

export const cifar10 = cifarImporter('cifar10');
export const cifar100 = cifarImporter('cifar100');
