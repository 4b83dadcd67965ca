import { closeSync, fstatSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { imageSize } from 'image-size';
import type { ResourceLimits } from '../../common/contract/settings.ts';
import type { ImportContext, IndexedSample } from './types.ts';

export const imageExtensions = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.gif', '.webp', '.tif', '.tiff']);
/** Files that sit in image folders on every OS and are not worth a report line. */
const ignoredNames = new Set(['thumbs.db', '.ds_store', 'desktop.ini']);

export function isImageName(name: string): boolean {
  return imageExtensions.has(path.extname(name).toLowerCase());
}

export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || ignoredNames.has(name.toLowerCase());
}

/** Subfolders of a folder (following symlinks), sorted; [] when unreadable. */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && safeIsDir(path.join(dir, e.name)))))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Plain file names of a folder, sorted; [] when unreadable. */
export function fileNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || (e.isSymbolicLink() && !safeIsDir(path.join(dir, e.name))))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function safeIsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Every file under `dir` (relative to ctx.root), sorted, depth first. Symlinked
 * folders are followed once: a link back into a folder being walked is reported
 * as a loop instead of recursing forever. Yields to the event loop now and then
 * so a cancel request gets through.
 */
export async function walkFiles(ctx: ImportContext, dir: string, onEmptyDir?: (rel: string) => void): Promise<string[]> {
  const out: string[] = [];
  const ancestors = new Set<string>();
  let visited = 0;
  const walk = async (abs: string): Promise<void> => {
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (err) {
      ctx.problem(rel(ctx, abs), 'unreadable', `cannot resolve folder: ${(err as Error).message}`);
      return;
    }
    if (ancestors.has(real)) {
      ctx.problem(rel(ctx, abs), 'symlink_loop', `symbolic link loops back to ${real}; not followed`);
      return;
    }
    ancestors.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      ctx.problem(rel(ctx, abs), 'unreadable', `cannot list folder: ${(err as Error).message}`);
      ancestors.delete(real);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let files = 0;
    for (const e of entries) {
      if (isIgnoredName(e.name)) continue;
      const p = path.join(abs, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(p).isDirectory();
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          ctx.problem(rel(ctx, p), code === 'ELOOP' ? 'symlink_loop' : 'vanished', code === 'ELOOP' ? 'symbolic link loops; not followed' : `broken symbolic link (${code})`);
          continue;
        }
      }
      if (isDir) await walk(p);
      else {
        out.push(rel(ctx, p));
        files++;
      }
      if (++visited % 2000 === 0) await ctx.progress(out.length, null, 'listing files');
    }
    // The starting folder's emptiness is the caller's to report (it knows what the folder means).
    if (files === 0 && entries.length === 0 && abs !== dir) onEmptyDir?.(rel(ctx, abs));
    ancestors.delete(real);
  };
  await walk(dir);
  return out;
}

/** "256 MiB" for byte limits, "100,000,000" for counts: how a limit is named in a problem. */
export function formatLimit(n: number, bytes: boolean): string {
  if (!bytes) return n.toLocaleString('en-US');
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1 && Number.isInteger(v / 1024)) {
    v /= 1024;
    u++;
  }
  return `${v.toLocaleString('en-US')} ${units[u]}`;
}

/** A file refused for a resource limit; `detail` is the sentence without the file name. */
export class LimitError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'LimitError';
  }
}

/** The sentence a refused file gets: what it is, the limit, and the setting that raises it. */
export function overLimit(what: string, actual: number, limit: keyof ResourceLimits, value: number, bytes = true): string {
  return `${what} ${formatLimit(actual, bytes)} is over the limit of ${formatLimit(value, bytes)} (setting limits.${limit}); not read`;
}

/**
 * Reads a whole (small) file after checking, on the open descriptor, that it is
 * a regular file within `limit` bytes: a file over it, or a device or pipe, is
 * refused before a byte is read. Throws an error naming the file.
 */
export function readLimitedFile(abs: string, shown: string, limits: ResourceLimits, limit: keyof ResourceLimits): Buffer {
  // Opening a FIFO blocks until a writer comes: look at the type first, then again on the open descriptor.
  if (!statSync(abs).isFile()) throw new Error(`${shown}: not a regular file; not read`);
  const fd = openSync(abs, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${shown}: not a regular file; not read`);
    if (st.size > limits[limit]) throw new LimitError(shown, overLimit('file size', st.size, limit, limits[limit]));
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const k = readSync(fd, buf, n, st.size - n, n);
      if (k === 0) break;
      n += k;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function rel(ctx: ImportContext, abs: string): string {
  return path.relative(ctx.root, abs).split(path.sep).join('/');
}

const head = Buffer.alloc(65536);

/**
 * Some cameras append data after a JPEG's end marker: before calling a file
 * truncated (rare), look for the marker in the whole file, not just its tail.
 */
function hasMarkerAnywhere(fd: number, size: number, marker: Buffer): boolean {
  const all = Buffer.alloc(size);
  readSync(fd, all, 0, size, 0);
  return all.lastIndexOf(marker) > 2;
}
const tail = Buffer.alloc(1024);

/**
 * Size and format of an image from its header (image-size), plus a cheap
 * truncation check (JPEG ends with FFD9, PNG with an IEND chunk), without
 * decoding pixels: indexing 100,000 files must stay far under a minute.
 * Returns null after reporting a problem for the file.
 */
export function probeImage(ctx: ImportContext, relPath: string): Pick<IndexedSample, 'width' | 'height' | 'channels' | 'sizeBytes' | 'mtimeMs'> | null {
  const abs = path.join(ctx.root, relPath);
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') ctx.problem(relPath, 'vanished', 'file disappeared during the import');
    else ctx.problem(relPath, 'unreadable', `cannot open: ${(err as Error).message}`);
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.size === 0) {
      ctx.problem(relPath, 'corrupt_image', 'empty file (0 bytes)');
      return null;
    }
    // Checked before anything past the first 64 KiB is read (the fallbacks below read the whole file).
    if (st.size > ctx.limits.maxImageFileBytes) {
      ctx.problem(relPath, 'too_large', overLimit('file size', st.size, 'maxImageFileBytes', ctx.limits.maxImageFileBytes));
      return null;
    }
    let n = readSync(fd, head, 0, Math.min(head.length, st.size), 0);
    let buf: Buffer = head.subarray(0, n);
    let dims;
    try {
      dims = imageSize(buf);
    } catch {
      if (st.size > n) {
        // Large EXIF blocks can push a JPEG's size marker past the first 64 KiB: read it all.
        buf = Buffer.alloc(st.size);
        n = readSync(fd, buf, 0, st.size, 0);
        try {
          dims = imageSize(buf.subarray(0, n));
        } catch {
          dims = null;
        }
      }
    }
    if (!dims || !dims.width || !dims.height) {
      const t = Math.min(tail.length, st.size);
      readSync(fd, tail, 0, t, st.size - t);
      const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
      const png = head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      const ended = jpeg ? tail.subarray(0, t).lastIndexOf(Buffer.from([0xff, 0xd9])) >= 0 : tail.subarray(0, t).lastIndexOf(Buffer.from('IEND')) >= 0;
      if ((jpeg || png) && !ended) {
        ctx.problem(relPath, 'truncated_image', `${jpeg ? 'JPEG' : 'PNG'} header incomplete and end marker missing: the file is truncated`);
        return null;
      }
      ctx.problem(relPath, 'corrupt_image', `not a readable ${path.extname(relPath).slice(1).toUpperCase() || 'image'} header`);
      return null;
    }
    // From the header only: a 30000x30000 PNG is refused here, not when a training job decodes it.
    if (dims.width * dims.height > ctx.limits.maxImagePixels) {
      const px = dims.width * dims.height;
      ctx.problem(relPath, 'too_large', `${dims.width}x${dims.height} image (${formatLimit(px, false)} pixels) is over the limit of ${formatLimit(ctx.limits.maxImagePixels, false)} pixels (setting limits.maxImagePixels); skipped`);
      return null;
    }
    const t = Math.min(tail.length, st.size);
    readSync(fd, tail, 0, t, st.size - t);
    const end = tail.subarray(0, t);
    if (dims.type === 'jpg' && end.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0 && !hasMarkerAnywhere(fd, st.size, Buffer.from([0xff, 0xd9]))) {
      ctx.problem(relPath, 'truncated_image', 'JPEG end marker missing: the file is truncated');
      return null;
    }
    if (dims.type === 'png' && end.lastIndexOf(Buffer.from('IEND')) < 0) {
      ctx.problem(relPath, 'truncated_image', 'PNG IEND chunk missing: the file is truncated');
      return null;
    }
    // Channels from the header are not uniform across formats; decoders convert to what readers ask for.
    return { width: dims.width, height: dims.height, channels: null, sizeBytes: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch (err) {
    ctx.problem(relPath, 'unreadable', `cannot read: ${(err as Error).message}`);
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Probes a list of candidate image files, reporting non-image files, and builds
 * samples with `describe` filling the format-specific fields (null = skip).
 */
export async function indexImages(
  ctx: ImportContext,
  files: string[],
  describe: (relPath: string) => Omit<IndexedSample, 'width' | 'height' | 'channels' | 'sizeBytes' | 'mtimeMs'> | null,
  step = 'reading image headers',
): Promise<IndexedSample[]> {
  const out: IndexedSample[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (i % 2000 === 0) await ctx.progress(i, files.length, step);
    ctx.seen();
    if (!isImageName(f)) {
      ctx.problem(f, 'not_an_image', `not an image file (extension ${path.extname(f) || 'none'}); skipped`);
      continue;
    }
    const base = describe(f);
    if (!base) continue;
    const probe = probeImage(ctx, f);
    if (!probe) continue;
    out.push({ ...base, ...probe });
  }
  await ctx.progress(files.length, files.length, step);
  return out;
}
