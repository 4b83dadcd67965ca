import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Workspace } from './workspace.ts';
import { contentTypeOf, resolveServableFile } from './file-access.ts';

export interface ServedFile {
  contentType: string;
  body: Buffer;
}

const THUMB_SIZES = new Set([64, 96, 128, 160, 192, 256, 384, 512]);

/** Thumbnail sizes are snapped to a few steps so the cache stays small. */
export function snapThumbSize(requested: number): number {
  const sizes = [...THUMB_SIZES];
  return sizes.find((s) => s >= requested) ?? sizes[sizes.length - 1]!;
}

/**
 * Reads a file a client asked for (confined to the workspace and dataset roots),
 * or a cached thumbnail of it, made with sharp on first request. The cache key
 * includes size and mtime, so an edited image gets a fresh thumbnail.
 */
export async function serveFile(ws: Workspace, requested: string, thumb?: number): Promise<ServedFile> {
  const file = resolveServableFile(ws, requested);
  if (!thumb) return { contentType: contentTypeOf(file), body: readFileSync(file) };
  const size = snapThumbSize(thumb);
  const st = statSync(file);
  const key = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}\0${size}`).digest('hex');
  const cached = path.join(ws.artifactsDir, 'thumbs', 'files', key.slice(0, 2), `${key}.webp`);
  if (existsSync(cached)) return { contentType: 'image/webp', body: readFileSync(cached) };
  const body = await sharp(file).rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
  mkdirSync(path.dirname(cached), { recursive: true });
  writeFileSync(cached + '.tmp', body);
  renameSync(cached + '.tmp', cached);
  return { contentType: 'image/webp', body };
}
