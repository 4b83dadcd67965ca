import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { WrittenBlob } from './types.ts';

/**
 * Appends decoded images ([h,w,c] HWC uint8 each) to `<dir>/images.u8.part` and
 * renames it to `images.u8` only when complete, so a crash or cancel never
 * leaves a file that looks finished. The runner deletes the folder on failure.
 */
export class BlobWriter {
  readonly final: string;
  private readonly part: string;
  private fd: number | null;
  private count = 0;
  private readonly buffer: Buffer;
  private used = 0;

  constructor(
    dir: string,
    readonly h: number,
    readonly w: number,
    readonly c: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.final = path.join(dir, 'images.u8');
    this.part = `${this.final}.part`;
    this.fd = openSync(this.part, 'w');
    // Batch small writes: one syscall per ~4 MiB instead of per 784-byte image.
    this.buffer = Buffer.alloc(Math.max(4 << 20, h * w * c));
  }

  get n(): number {
    return this.count;
  }

  add(image: Uint8Array): void {
    if (image.length !== this.h * this.w * this.c) throw new Error(`BlobWriter: image of ${image.length} bytes, expected ${this.h * this.w * this.c}`);
    if (this.used + image.length > this.buffer.length) this.flush();
    this.buffer.set(image, this.used);
    this.used += image.length;
    this.count++;
  }

  private flush(): void {
    if (this.fd === null || this.used === 0) return;
    writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  finish(): WrittenBlob {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    renameSync(this.part, this.final);
    return { file: this.final, n: this.count, h: this.h, w: this.w, c: this.c };
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.part, { force: true });
  }
}
