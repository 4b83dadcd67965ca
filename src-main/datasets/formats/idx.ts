import { statSync } from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import type { ResourceLimits } from '../../common/contract/settings.ts';
import type { FormatImporter, ImportContext, IndexedSample } from './types.ts';
import { confinedFileNames, fileNames, LimitError, overLimit, readLimitedFile } from './files.ts';
import { BlobWriter } from './blob-writer.ts';

const fashionNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const idxPattern = /^(.*?)[-_.]?(images|labels)[-_.]idx([13])[-_.]ubyte(\.gz)?$/i;

interface IdxPair {
  prefix: string;
  images: string;
  labels: string | null;
}

function pairs(root: string, names: string[] = fileNames(root)): IdxPair[] {
  const found = new Map<string, IdxPair>();
  const labels = new Map<string, string>();
  for (const name of names) {
    const m = idxPattern.exec(name);
    if (!m) continue;
    const prefix = m[1]!.toLowerCase();
    if (m[2]!.toLowerCase() === 'images') found.set(prefix, { prefix, images: name, labels: null });
    else labels.set(prefix, name);
  }
  for (const [prefix, p] of found) p.labels = labels.get(prefix) ?? null;
  // Training files first (the import order is the sample order readers and the grid use).
  const rank = (p: IdxPair): number => ['train', 'val', 'test'].indexOf(splitOf(p.prefix));
  return [...found.values()].sort((a, b) => rank(a) - rank(b) || a.prefix.localeCompare(b.prefix));
}

function splitOf(prefix: string): string {
  return /t10k|test/.test(prefix) ? 'test' : /val/.test(prefix) ? 'val' : 'train';
}

/** The first decompressed bytes of a gzip stream (at most ~1 MiB out, whatever the stream holds). */
function gunzipHead(raw: Buffer): Buffer {
  for (let take = 64; ; take *= 4) {
    let out: Buffer;
    try {
      out = gunzipSync(raw.subarray(0, take), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1024 ** 2 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return Buffer.alloc(0);
      throw err;
    }
    if (out.length >= 64 || take >= raw.length) return out;
  }
}

/**
 * Reads an IDX file, gunzipping when it starts with the gzip magic (whatever
 * its name says). The sizes come from the header before anything is
 * allocated for the data: a header over the limit is refused, and a file or
 * gzip stream holding more than the header says is refused as soon as
 * decompression passes the header's size (a .gz of gigabytes of zeros never
 * reaches memory).
 */
function readIdx(abs: string, file: string, wantDims: number, limits: ResourceLimits): { buf: Buffer; dims: number[]; offset: number } {
  const raw = readLimitedFile(abs, file, limits, 'maxDecodedFileBytes');
  const gz = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const head = gz ? gunzipHead(raw) : raw;
  const { dims, offset } = idxDims(head, file, wantDims);
  const expected = offset + dims.reduce((a, b) => a * b, 1);
  if (expected > limits.maxDecodedFileBytes) {
    throw new LimitError(file, `${overLimit(`header says ${dims.join('x')}:`, expected, 'maxDecodedFileBytes', limits.maxDecodedFileBytes)}`);
  }
  let buf = raw;
  if (gz) {
    try {
      buf = gunzipSync(raw, { maxOutputLength: expected });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new LimitError(file, `the gzip stream holds more than the ${expected} bytes the header (${dims.join('x')}) says; decompression stopped there, not read`);
      }
      throw new Error(`${file}: not a readable gzip stream (${(err as Error).message})`);
    }
  }
  if (buf.length > expected) throw new LimitError(file, `${buf.length - offset} data bytes, the header (${dims.join('x')}) says ${expected - offset}; not read`);
  if (buf.length < expected) throw new Error(`${file}: truncated: ${buf.length - offset} data bytes, header says ${expected - offset}`);
  return { buf, dims, offset };
}

/** Parses the IDX header: magic 0x0000 08 <ndim> (unsigned bytes), then ndim big-endian uint32 sizes. */
function idxDims(buf: Buffer, file: string, wantDims: number): { dims: number[]; offset: number } {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${file}: not an IDX file (bad magic number ${buf.subarray(0, 4).toString('hex')})`);
  if (buf[2] !== 0x08) throw new Error(`${file}: IDX element type 0x${buf[2]!.toString(16)} is not unsigned byte (0x08)`);
  if (buf[3] !== wantDims) throw new Error(`${file}: IDX file has ${buf[3]} dimensions, expected ${wantDims} (magic 0x0000080${wantDims})`);
  const dims: number[] = [];
  for (let i = 0; i < wantDims; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * wantDims;
  if (buf.length < offset) throw new Error(`${file}: truncated: the header needs ${offset} bytes, the file has ${buf.length}`);
  return { dims, offset };
}

export const idx: FormatImporter = {
  format: 'idx',
  title: 'IDX (MNIST, Fashion-MNIST)',
  layout: '<prefix>-images-idx3-ubyte[.gz] + <prefix>-labels-idx1-ubyte[.gz] (train, t10k)',
  decoded: true,
  detect(root) {
    const p = pairs(root);
    return p.length > 0 ? { score: 1, reason: `IDX image files: ${p.map((x) => x.images).join(', ')}` } : null;
  },
  async run(ctx: ImportContext) {
    const found = pairs(ctx.root, confinedFileNames(ctx, ctx.root));
    if (found.length === 0) throw new Error(`${ctx.root}: no *-images-idx3-ubyte files found.`);
    let blob: BlobWriter | null = null;
    const samples: IndexedSample[] = [];
    let maxLabel = -1;
    try {
      for (const pair of found) {
        ctx.seen(pair.labels ? 2 : 1);
        if (!pair.labels) {
          ctx.problem(pair.images, 'missing_file', `no matching labels file (${pair.prefix}-labels-idx1-ubyte); images skipped`);
          continue;
        }
        const read = (file: string, wantDims: number): { buf: Buffer; dims: number[]; offset: number } | null => {
          try {
            return readIdx(path.join(ctx.root, file), file, wantDims, ctx.limits);
          } catch (err) {
            if (err instanceof LimitError) ctx.problem(file, 'too_large', err.detail);
            else ctx.problem(file, 'bad_magic', (err as Error).message);
            return null;
          }
        };
        const imageFile = read(pair.images, 3);
        if (!imageFile) continue;
        const labelFile = read(pair.labels, 1);
        if (!labelFile) continue;
        const [images, labels] = [imageFile.buf, labelFile.buf];
        const [ih, lh] = [imageFile, labelFile];
        const [n, h, w] = ih.dims as [number, number, number];
        if (lh.dims[0] !== n) {
          ctx.problem(pair.labels, 'label_mismatch', `${lh.dims[0]} labels for ${n} images in ${pair.images}; pair skipped`);
          continue;
        }
        blob ??= new BlobWriter(ctx.blobDir, h, w, 1);
        if (blob.h !== h || blob.w !== w) {
          ctx.problem(pair.images, 'label_mismatch', `images are ${h}x${w}, earlier files ${blob.h}x${blob.w}; skipped`);
          continue;
        }
        const split = splitOf(pair.prefix);
        const mtimeMs = Math.floor(statSync(path.join(ctx.root, pair.images)).mtimeMs);
        const stride = h * w;
        for (let i = 0; i < n; i++) {
          const label = labels[lh.offset + i]!;
          maxLabel = Math.max(maxLabel, label);
          samples.push({ path: `${pair.images}#${i}`, split, label, width: w, height: h, channels: 1, sizeBytes: stride, mtimeMs, extra: { blobIndex: blob.n } });
          blob.add(images.subarray(ih.offset + i * stride, ih.offset + (i + 1) * stride));
          if (i % 5000 === 0) await ctx.progress(samples.length, null, `decoding ${pair.images}`);
        }
      }
    } catch (err) {
      blob?.abort();
      throw err;
    }
    if (!blob || samples.length === 0) throw new Error(`${ctx.root}: no usable IDX image/label pair (see the problems).`);
    const fashion = /fashion/i.test(ctx.root) && maxLabel <= 9;
    const classes = fashion ? fashionNames : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
    return { samples, classes, blob: blob.finish(), extra: { variant: fashion ? 'fashion-mnist' : 'mnist' } };
  },
};
