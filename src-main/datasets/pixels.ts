import { statSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { BlobInfo } from './dataset-info.ts';

/** Thrown when an indexed file is gone or differs from what the import recorded. */
export class DatasetFileChangedError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'DatasetFileChangedError';
    this.file = file;
  }
}

/** Thrown when an indexed image file is there, unchanged, but cannot be decoded: a reader's caller may skip that sample. */
export class UndecodableImageError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'UndecodableImageError';
    this.file = file;
  }
}

/** Checks an indexed file against the size and mtime recorded at import; throws naming the file. */
export function checkUnchanged(absPath: string, sizeBytes: number | null, mtimeMs: number | null, datasetLabel: string): void {
  let st;
  try {
    st = statSync(absPath);
  } catch {
    throw new DatasetFileChangedError(absPath, `${datasetLabel}: file ${absPath} is missing (moved or deleted since import); re-import the dataset.`);
  }
  if (sizeBytes !== null && st.size !== sizeBytes) {
    throw new DatasetFileChangedError(absPath, `${datasetLabel}: file ${absPath} changed since import (size ${sizeBytes} -> ${st.size} bytes); re-import the dataset.`);
  }
  if (mtimeMs !== null && Math.floor(st.mtimeMs) !== mtimeMs) {
    throw new DatasetFileChangedError(absPath, `${datasetLabel}: file ${absPath} changed since import (modified ${new Date(st.mtimeMs).toISOString()}); re-import the dataset.`);
  }
}

/** Decodes an image file to raw HWC uint8 at h x w with 1 or 3 channels (stretched, like a plain resize). */
export async function decodeFile(absPath: string, h: number, w: number, channels: 1 | 3): Promise<Uint8Array> {
  try {
    let img = sharp(absPath, { failOn: 'error' }).resize(w, h, { fit: 'fill' });
    img = channels === 1 ? img.greyscale() : img.removeAlpha().toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return fitChannels(new Uint8Array(data.buffer, data.byteOffset, data.length), info.channels, channels);
  } catch (err) {
    throw new UndecodableImageError(absPath, `Cannot decode image ${absPath}: ${(err as Error).message}`);
  }
}

/** Converts raw HWC uint8 between 1 and 3 channels (grey -> replicate; colour -> BT.601 luma). */
export function fitChannels(data: Uint8Array, from: number, to: 1 | 3): Uint8Array {
  if (from === to) return data;
  const pixels = data.length / from;
  const out = new Uint8Array(pixels * to);
  if (to === 3) {
    for (let i = 0; i < pixels; i++) {
      const v = data[i * from]!;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  } else {
    for (let i = 0; i < pixels; i++) out[i] = Math.round(0.299 * data[i * from]! + 0.587 * data[i * from + 1]! + 0.114 * data[i * from + 2]!);
  }
  return out;
}

/** Resizes raw HWC uint8 pixels with sharp. */
export async function resizeRaw(data: Uint8Array, h: number, w: number, c: number, outH: number, outW: number): Promise<Uint8Array> {
  if (h === outH && w === outW) return data;
  let img = sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width: w, height: h, channels: c as 1 | 3 } }).resize(outW, outH, { fit: 'fill' });
  // sharp widens one-channel raw input to sRGB unless told to stay grey.
  if (c === 1) img = img.toColourspace('b-w');
  const { data: buf, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return fitChannels(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), info.channels, c as 1 | 3);
}

const blobCache = new Map<string, { size: number; mtimeMs: number; data: Uint8Array }>();

/**
 * The whole decoded blob, read once per process and kept (Fashion-MNIST: 55 MB,
 * CIFAR: 184 MB). Re-read when the file's size or mtime changed.
 */
export function loadBlob(absPath: string, blob: BlobInfo, datasetLabel: string): Uint8Array {
  let st;
  try {
    st = statSync(absPath);
  } catch {
    throw new DatasetFileChangedError(absPath, `${datasetLabel}: decoded pixel file ${absPath} is missing; re-import the dataset.`);
  }
  const expected = blob.n * blob.h * blob.w * blob.c;
  if (st.size !== expected) {
    throw new DatasetFileChangedError(absPath, `${datasetLabel}: decoded pixel file ${absPath} has ${st.size} bytes, expected ${expected}; re-import the dataset.`);
  }
  const hit = blobCache.get(absPath);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.data;
  const buf = readFileSync(absPath);
  const data = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  blobCache.set(absPath, { size: st.size, mtimeMs: st.mtimeMs, data });
  return data;
}

/** Forgets a cached blob (after a dataset is deleted). */
export function forgetBlob(absPath: string): void {
  blobCache.delete(absPath);
}
