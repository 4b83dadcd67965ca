import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { imageSize } from 'image-size';
import { isInside } from '../../core/file-access.ts';
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

/**
 * Regular file names of a folder (a symlink counts when it leads to a regular
 * file), sorted; [] when unreadable. Named pipes, devices and sockets are left
 * out: opening a FIFO would block.
 */
export function fileNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || (e.isSymbolicLink() && safeIsFile(path.join(dir, e.name))))
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

function safeIsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** What a file that is not a regular file or folder is, in words; null for those two. */
export function specialKind(st: Stats | Dirent<string> | Dirent<Buffer>): string | null {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return null;
}

/**
 * The text of a small side file of the dataset (label lists, class names, box
 * lists), under the import's confinement rule: refused when its real path lies
 * outside the dataset's real root (unless the import follows links out), opened
 * without blocking and refused unless it is a regular file (a named pipe called
 * images.txt must not hang the import). Throws naming the file.
 */
export function readTextFile(ctx: ImportContext, file: string, limit: keyof ResourceLimits = 'maxTextFileBytes'): string {
  return readConfinedFile(ctx, file, limit).toString('utf8');
}

/**
 * Reads a side file of an import (a list, a label file, a binary batch) under both
 * rules at once: the confinement rule (inside the import root unless links out are
 * allowed) and the workspace's size limit for its kind, checked on the open
 * descriptor before a byte is read. Throws an error naming the file.
 */
function readConfinedFile(ctx: ImportContext, file: string, limit: keyof ResourceLimits): Buffer {
  const scope = scopeOf(ctx);
  const real = realpathSync(file);
  if (!isInside(real, scope.realRoot) && !scope.followLinksOut) throw new Error(`${file} ${outsideMessage('', real).trimStart()}`);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on the descriptor.
  const fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is ${specialKind(st) ?? 'not a regular file'}; not read.`);
    if (st.size > ctx.limits[limit]) throw new LimitError(file, overLimit('file size', st.size, limit, ctx.limits[limit]));
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A file name as its bytes: printable ASCII kept, every other byte as \xNN. */
export function nameBytes(name: Buffer): string {
  let out = '';
  for (const b of name) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * What one import has walked, shared by every walk and probe of that import
 * (importers walk class or split folders one call at a time).
 */
interface ImportScope {
  /** The dataset root with symlinks resolved: nothing outside it is read unless followLinksOut. */
  realRoot: string;
  followLinksOut: boolean;
  /** Real paths of the folders walked so far. */
  walked: Set<string>;
  /** Real path of every file admitted, by its path relative to ctx.root. */
  realOf: Map<string, string>;
}

const scopes = new WeakMap<ImportContext, ImportScope>();

function scopeOf(ctx: ImportContext): ImportScope {
  let s = scopes.get(ctx);
  if (!s) {
    let realRoot: string;
    try {
      realRoot = realpathSync(ctx.root);
    } catch {
      realRoot = path.resolve(ctx.root);
    }
    s = { realRoot, followLinksOut: ctx.followLinksOut ?? false, walked: new Set(), realOf: new Map() };
    scopes.set(ctx, s);
  }
  return s;
}

/** The real path a file was admitted under (files formats), or undefined when it was not admitted. */
export function admittedRealPath(ctx: ImportContext, relPath: string): string | undefined {
  return scopes.get(ctx)?.realOf.get(relPath);
}

function outsideMessage(what: string, real: string): string {
  return `${what} leads out of the dataset folder to ${real}; not followed (import with followLinksOut, command line --follow-links-out, to allow links out)`;
}

/**
 * The import side of the confinement rule, for one file about to be read:
 * resolves its real path, refuses a file outside the dataset's real root
 * (unless the import follows links out) and anything that is not a regular
 * file (FIFO, device, socket: never opened). Records the real path.
 */
export function admitFile(ctx: ImportContext, relPath: string): boolean {
  const scope = scopeOf(ctx);
  const known = scope.realOf.get(relPath);
  if (known) return true;
  const abs = path.join(ctx.root, relPath);
  let real: string;
  let st: Stats;
  try {
    real = realpathSync(abs);
    st = statSync(real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') ctx.problem(relPath, 'symlink_loop', 'symbolic link loops; not followed');
    else if (code === 'ENOENT') ctx.problem(relPath, 'vanished', 'file (or the target of its symbolic link) does not exist');
    else ctx.problem(relPath, 'unreadable', `cannot resolve: ${(err as Error).message}`);
    return false;
  }
  if (!isInside(real, scope.realRoot) && !scope.followLinksOut) {
    ctx.problem(relPath, 'outside_root', outsideMessage('file', real));
    return false;
  }
  const special = specialKind(st);
  if (special || !st.isFile()) {
    ctx.problem(relPath, 'special_file', `${special ?? 'not a regular file'}; skipped, never opened`);
    return false;
  }
  scope.realOf.set(relPath, real);
  return true;
}

/** Regular file names of a folder of the dataset, through admitFile (for formats that read named files, e.g. CIFAR, IDX). */
export function confinedFileNames(ctx: ImportContext, dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.isDirectory() && !isIgnoredName(e.name) && !(e.isSymbolicLink() && safeIsDir(path.join(dir, e.name))))
    .map((e) => e.name)
    .sort()
    .filter((name) => admitFile(ctx, rel(ctx, path.join(dir, name))));
}

/**
 * Samples whose files resolve to the same real path are one file: it is kept
 * once, under the path that reaches it without a symbolic link when there is
 * one (else the first), and every other path is reported. So a link never
 * imports a file twice or under a second label.
 */
export function dropDuplicateFiles(ctx: ImportContext, samples: IndexedSample[]): IndexedSample[] {
  const scope = scopes.get(ctx);
  if (!scope) return samples;
  const keep = new Map<string, number>();
  const direct = (s: IndexedSample, real: string): boolean => path.join(scope.realRoot, s.path) === real;
  samples.forEach((s, i) => {
    const real = scope.realOf.get(s.path);
    if (!real) return;
    const k = keep.get(real);
    if (k === undefined || (!direct(samples[k]!, real) && direct(s, real))) keep.set(real, i);
  });
  return samples.filter((s, i) => {
    const real = scope.realOf.get(s.path);
    if (!real) return true;
    const k = keep.get(real)!;
    if (k === i) return true;
    ctx.problem(s.path, 'duplicate_file', `same file as ${samples[k]!.path} (${real}); imported once, as ${samples[k]!.path}`);
    return false;
  });
}

/** Real path to record for a sample: set only where it lies outside the dataset's real root (links followed out). */
export function recordedRealPath(ctx: ImportContext, relPath: string): string | null {
  const scope = scopes.get(ctx);
  const real = scope?.realOf.get(relPath);
  return scope && real && !isInside(real, scope.realRoot) ? real : null;
}

/**
 * Every file under `dir` (relative to ctx.root), sorted, depth first, under
 * one rule for the whole import:
 * - a symbolic link to a folder that is an ancestor of the folder being walked
 *   (or of the dataset root) is a loop, and one to a folder already walked
 *   would import its files again: both are refused as a whole;
 * - a link whose target lies outside the dataset's real root is refused unless
 *   the import follows links out;
 * - named pipes, devices and sockets are reported and never opened;
 * - a name that is not valid UTF-8 is reported by its bytes.
 * Yields to the event loop now and then so a cancel request gets through.
 */
export async function walkFiles(ctx: ImportContext, dir: string, onEmptyDir?: (rel: string) => void): Promise<string[]> {
  const scope = scopeOf(ctx);
  const out: string[] = [];
  const ancestors: string[] = [];
  let visited = 0;
  const walk = async (abs: string, real: string): Promise<void> => {
    ancestors.push(real);
    scope.walked.add(real);
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(abs, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      ctx.problem(rel(ctx, abs), 'unreadable', `cannot list folder: ${(err as Error).message}`);
      ancestors.pop();
      return;
    }
    const named = entries.map((e) => ({ e, name: e.name.toString('utf8') }));
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let files = 0;
    for (const { e, name } of named) {
      if (isIgnoredName(name)) continue;
      if (!Buffer.from(name, 'utf8').equals(e.name)) {
        const shown = rel(ctx, abs);
        ctx.problem(`${shown ? shown + '/' : ''}${nameBytes(e.name)}`, 'bad_name', `file name is not valid UTF-8 (bytes ${e.name.toString('hex').replace(/(..)(?!$)/g, '$1 ')}); rename it to import it`);
        continue;
      }
      const p = path.join(abs, name);
      const r = rel(ctx, p);
      if (e.isSymbolicLink()) {
        let target: string;
        let st: Stats;
        try {
          target = realpathSync(p);
          st = statSync(target);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          ctx.problem(r, code === 'ELOOP' ? 'symlink_loop' : 'vanished', code === 'ELOOP' ? 'symbolic link loops; not followed' : `broken symbolic link (${code})`);
          continue;
        }
        if (st.isDirectory()) {
          const loopsTo = ancestors.find((a) => isInside(a, target)) ?? (isInside(scope.realRoot, target) ? scope.realRoot : undefined);
          if (loopsTo !== undefined) {
            ctx.problem(r, 'symlink_loop', `symbolic link to ${target}, a folder that holds this one: not followed (it would import its files again under ${rel(ctx, dir) || 'the root'})`);
            continue;
          }
          if (!isInside(target, scope.realRoot) && !scope.followLinksOut) {
            ctx.problem(r, 'outside_root', outsideMessage('symbolic link to a folder', target));
            continue;
          }
          const seen = [...scope.walked].find((w) => isInside(w, target) || isInside(target, w));
          if (seen !== undefined) {
            ctx.problem(r, 'duplicate_folder', `symbolic link to ${target}, a folder this import has walked already (${seen}); not followed`);
            continue;
          }
          await walk(p, target);
        } else {
          if (!isInside(target, scope.realRoot) && !scope.followLinksOut) {
            ctx.problem(r, 'outside_root', outsideMessage('symbolic link', target));
            continue;
          }
          const special = specialKind(st);
          if (special || !st.isFile()) {
            ctx.problem(r, 'special_file', `symbolic link to ${special ?? 'something that is not a regular file'}; skipped, never opened`);
            continue;
          }
          scope.realOf.set(r, target);
          out.push(r);
          files++;
        }
      } else if (e.isDirectory()) {
        await walk(p, path.join(real, name));
      } else {
        const special = specialKind(e);
        if (special || !e.isFile()) {
          ctx.problem(r, 'special_file', `${special ?? 'not a regular file'}; skipped, never opened`);
          continue;
        }
        scope.realOf.set(r, path.join(real, name));
        out.push(r);
        files++;
      }
      if (++visited % 2000 === 0) await ctx.progress(out.length, null, 'listing files');
    }
    // The starting folder's emptiness is the caller's to report (it knows what the folder means).
    if (files === 0 && entries.length === 0 && abs !== dir) onEmptyDir?.(rel(ctx, abs));
    ancestors.pop();
  };
  let start: string;
  try {
    start = realpathSync(dir);
  } catch (err) {
    ctx.problem(rel(ctx, dir), 'unreadable', `cannot resolve folder: ${(err as Error).message}`);
    return out;
  }
  if (!isInside(start, scope.realRoot) && !scope.followLinksOut) {
    ctx.problem(rel(ctx, dir), 'outside_root', outsideMessage('folder', start));
    return out;
  }
  if (start !== path.join(scope.realRoot, path.relative(ctx.root, dir))) {
    // The starting folder itself is a link (e.g. a class folder linked from elsewhere): same rules as a link met inside.
    const seen = [...scope.walked].find((w) => isInside(w, start) || isInside(start, w));
    if (seen !== undefined) {
      ctx.problem(rel(ctx, dir), 'duplicate_folder', `symbolic link to ${start}, a folder this import has walked already (${seen}); not followed`);
      return out;
    }
  }
  await walk(dir, start);
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
    if (!admitFile(ctx, f)) continue;
    const base = describe(f);
    if (!base) continue;
    const probe = probeImage(ctx, f);
    if (!probe) continue;
    out.push({ ...base, ...probe });
  }
  await ctx.progress(files.length, files.length, step);
  return out;
}
