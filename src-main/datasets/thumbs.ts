import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Workspace } from '../core/workspace.ts';
import { parseInfo } from './dataset-info.ts';
import { checkUnchanged, loadBlob } from './pixels.ts';
import { sampleRow } from './queries.ts';
import { DatasetFileRefusedError, resolveSampleFile } from './sample-file.ts';
import { ApiError } from '../common/contract/errors.ts';

/** What a host sends back for an image request (Electron protocol handler, HTTP route). */
export interface ServedImage {
  contentType: string;
  bytes: Buffer;
  /** The file the bytes came from, when there is one (hosts may stream it instead). */
  path: string | null;
}

const contentTypes: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

function rawOfDecodedSample(ws: Workspace, r: ReturnType<typeof sampleRow>): { data: Buffer; h: number; w: number; c: number } {
  const info = parseInfo(r.dataset_info);
  const blob = info.blob!;
  const all = loadBlob(ws.resolve(blob.path), blob, `Dataset ${r.dataset_id} "${r.dataset_name}"`);
  const extra = r.extra ? (JSON.parse(r.extra) as { blobIndex?: number }) : {};
  const i = extra.blobIndex ?? 0;
  const stride = blob.h * blob.w * blob.c;
  const view = all.subarray(i * stride, (i + 1) * stride);
  return { data: Buffer.from(view.buffer, view.byteOffset, view.length), h: blob.h, w: blob.w, c: blob.c };
}

/**
 * The full image of a sample: the file's own bytes for image-file datasets, a
 * PNG encoded from the blob for decoded ones (they have no file on disk).
 */
export async function samplePixelsPng(ws: Workspace, sampleId: number): Promise<ServedImage> {
  const r = sampleRow(ws.db, sampleId);
  const info = parseInfo(r.dataset_info);
  if (info.storage === 'decoded' && info.blob) {
    const { data, h, w, c } = rawOfDecodedSample(ws, r);
    const bytes = await sharp(data, { raw: { width: w, height: h, channels: c as 1 | 3 } }).png().toBuffer();
    return { contentType: 'image/png', bytes, path: null };
  }
  const abs = confinedFile(r);
  // The type the import checked the header of: the sample's own name, not its link target's.
  const ext = path.extname(r.path).toLowerCase();
  if (!browserTypes.has(ext)) {
    // Browsers cannot show TIFF (and some BMP variants): send a PNG of it instead.
    try {
      return { contentType: 'image/png', bytes: await sharp(abs, { failOn: 'error' }).png().toBuffer(), path: null };
    } catch (err) {
      throw new Error(`Cannot decode image ${abs}: ${(err as Error).message}`);
    }
  }
  return { contentType: contentTypes[ext] ?? 'application/octet-stream', bytes: readFileSync(abs), path: abs };
}

/**
 * The real path of a file sample's image under the confinement rule
 * (sample-file.ts); a refusal is the client's answer, not a server failure.
 */
function confinedFile(r: ReturnType<typeof sampleRow>): string {
  const label = `Dataset ${r.dataset_id} "${r.dataset_name}"`;
  try {
    const real = resolveSampleFile(r.root_path, r.path, r.real_path, label);
    checkUnchanged(real, r.size_bytes, r.mtime_ms, label);
    return real;
  } catch (err) {
    if (err instanceof DatasetFileRefusedError) throw new ApiError('unauthorized', err.message, 'id');
    throw err;
  }
}

const browserTypes = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif']);

/**
 * A thumbnail no larger than size x size (aspect kept), made on first request
 * with sharp and cached under artifacts/thumbs/<dataset>/<size>/<sample>.(jpg|png).
 */
export async function thumbnailFor(ws: Workspace, sampleId: number, size: number): Promise<ServedImage> {
  const s = Math.max(16, Math.min(512, Math.round(size)));
  const r = sampleRow(ws.db, sampleId);
  const info = parseInfo(r.dataset_info);
  const decoded = info.storage === 'decoded' && info.blob !== null;
  const ext = decoded ? '.png' : '.jpg';
  const dir = path.join(ws.artifactsDir, 'thumbs', String(r.dataset_id), String(s));
  const file = path.join(dir, `${sampleId}${ext}`);
  const contentType = decoded ? 'image/png' : 'image/jpeg';
  // Checked before the cache too: a link swapped to lead elsewhere stops being served at once.
  const abs = decoded ? null : confinedFile(r);
  if (existsSync(file)) return { contentType, bytes: readFileSync(file), path: file };
  let bytes: Buffer;
  if (decoded) {
    const { data, h, w, c } = rawOfDecodedSample(ws, r);
    // Tiny decoded images (28x28, 32x32) are enlarged with nearest neighbour so pixels stay crisp.
    bytes = await sharp(data, { raw: { width: w, height: h, channels: c as 1 | 3 } })
      .resize(s, s, { fit: 'inside', kernel: 'nearest' })
      .png()
      .toBuffer();
  } else {
    try {
      bytes = await sharp(abs!, { failOn: 'error' }).rotate().resize(s, s, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 80 }).toBuffer();
    } catch (err) {
      throw new Error(`Cannot make a thumbnail of ${abs}: ${(err as Error).message}`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return { contentType, bytes, path: file };
}
