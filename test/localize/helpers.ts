import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Workspace } from '../../src-main/core/workspace.ts';

/**
 * Object images for localization fixtures: class 0 a filled square, class 1 a
 * plus sign, class 2 a ring, bright on black, `size` x `size`, jittered by index.
 */
export function objectPixels(label: number, i: number, size: number): Uint8Array {
  const px = new Uint8Array(size * size);
  const c = (size - 1) / 2;
  const r = size * 0.4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      const d = Math.hypot(dx, dy);
      const on = label === 0 ? Math.max(Math.abs(dx), Math.abs(dy)) < r : label === 1 ? Math.min(Math.abs(dx), Math.abs(dy)) < size * 0.12 && d < r * 1.2 : Math.abs(d - r * 0.8) < size * 0.12;
      px[y * size + x] = on ? 160 + ((x * 7 + y * 5 + i * 13) % 90) : 0;
    }
  }
  return px;
}

/** Inserts a labeled dataset of gray PNGs (split 'train' for all) with class names; returns its id. */
export async function addObjectDataset(ws: Workspace, root: string, perClass: number, size = 16, classes = 3): Promise<number> {
  mkdirSync(root, { recursive: true });
  const ds = ws.db.prepare("INSERT INTO datasets (name, format, root_path, info) VALUES ('objects', 'imagefolder', ?, '{}')").run(root);
  const id = Number(ds.lastInsertRowid);
  for (let k = 0; k < classes; k++) ws.db.prepare('INSERT INTO classes (dataset_id, idx, name) VALUES (?, ?, ?)').run(id, k, `shape${k}`);
  const insert = ws.db.prepare('INSERT INTO samples (dataset_id, path, split, label, width, height, channels, size_bytes, mtime_ms) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)');
  for (let i = 0; i < perClass * classes; i++) {
    const label = i % classes;
    const file = `o${String(i).padStart(4, '0')}.png`;
    const abs = path.join(root, file);
    await sharp(Buffer.from(objectPixels(label, i, size)), { raw: { width: size, height: size, channels: 1 } }).png().toFile(abs);
    const st = statSync(abs);
    insert.run(id, file, 'train', label, size, size, st.size, Math.floor(st.mtimeMs));
  }
  return id;
}

/** Inserts an unlabeled dataset of smooth colour textures (backgrounds). */
export async function addBackgroundDataset(ws: Workspace, root: string, n: number, size = 32): Promise<number> {
  mkdirSync(root, { recursive: true });
  const ds = ws.db.prepare("INSERT INTO datasets (name, format, root_path, info) VALUES ('backgrounds', 'imagefolder', ?, '{}')").run(root);
  const id = Number(ds.lastInsertRowid);
  const insert = ws.db.prepare('INSERT INTO samples (dataset_id, path, split, width, height, channels, size_bytes, mtime_ms) VALUES (?, ?, NULL, ?, ?, 3, ?, ?)');
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.round(127 + 120 * Math.sin((x * (c + 1) + y * (i + 2)) / 5));
    const file = `b${i}.png`;
    const abs = path.join(root, file);
    await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toFile(abs);
    const st = statSync(abs);
    insert.run(id, file, size, size, st.size, Math.floor(st.mtimeMs));
  }
  return id;
}
