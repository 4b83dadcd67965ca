import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/**
 * A small class-folder dataset with train/test splits: each class has its own
 * hue and each image a different brightness, so thumbnails are visibly distinct.
 * `flat`: class folders right under the root, no split folders (one entry in perClass).
 */
export async function writeClassFolderDataset(perClass: Record<string, number> = { train: 12, test: 4 }, options: { flat?: boolean } = {}): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'wb-e2e-data-'));
  const classes: Record<string, [number, number, number]> = { cat: [220, 90, 60], dog: [60, 110, 220], frog: [60, 170, 90] };
  for (const [split, count] of Object.entries(perClass)) {
    for (const [name, [r, g, b]] of Object.entries(classes)) {
      const dir = options.flat ? path.join(root, name) : path.join(root, split, name);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < count; i++) {
        const k = 0.55 + (0.45 * i) / count;
        // A bright square in a different corner per image, so flips and crops show.
        const square = await sharp({ create: { width: 10, height: 10, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
        await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: Math.round(r * k), g: Math.round(g * k), b: Math.round(b * k) } } })
          .composite([{ input: square, top: i % 2 ? 3 : 19, left: i % 3 ? 3 : 19 }])
          .png()
          .toFile(path.join(dir, `${name}_${split}_${i}.png`));
      }
    }
  }
  return root;
}
