import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

export function tempDir(prefix = 'wb-ds-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A small real JPEG (or PNG) of a solid colour, w x h. */
export async function writeImage(file: string, w = 8, h = 8, colour: [number, number, number] = [200, 30, 30], format: 'jpeg' | 'png' | 'tiff' = 'jpeg'): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } });
  writeFileSync(file, await (format === 'jpeg' ? img.jpeg() : format === 'png' ? img.png() : img.tiff()).toBuffer());
}

/** CIFAR-10 batch: n records of label + R,G,B planes; pixel value of record r, channel ch = (r*3+ch) % 256. */
export function cifarRecords(n: number, labelBytes: 1 | 2, labelOf: (r: number) => number[]): Buffer {
  const rec = labelBytes + 3072;
  const buf = Buffer.alloc(n * rec);
  for (let r = 0; r < n; r++) {
    const labels = labelOf(r);
    for (let k = 0; k < labelBytes; k++) buf[r * rec + k] = labels[k]!;
    for (let ch = 0; ch < 3; ch++) buf.fill((r * 3 + ch) % 256, r * rec + labelBytes + ch * 1024, r * rec + labelBytes + (ch + 1) * 1024);
  }
  return buf;
}

export function idxImages(n: number, h: number, w: number, magic = 0x00000803): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(magic, 0);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(h, 8);
  header.writeUInt32BE(w, 12);
  const body = Buffer.alloc(n * h * w);
  for (let i = 0; i < n; i++) body.fill(i % 256, i * h * w, (i + 1) * h * w);
  return Buffer.concat([header, body]);
}

export function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

export { gzipSync, symlinkSync, writeFileSync, mkdirSync };
