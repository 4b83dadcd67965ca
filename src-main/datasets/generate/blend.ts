import { Rng } from '../../common/random.ts';

/** Raw HWC uint8 images, all the same size. */
export interface ImageSet {
  /** What to call the set in error messages (dataset name or field). */
  label: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count * height * width * channels bytes, image after image. */
  pixels: Uint8Array;
}

/** Where each output image's patch came from, kept for lineage. */
export interface PatchDraw {
  patchIndex: number;
  y: number;
  x: number;
}

export interface BlendResult {
  images: ImageSet;
  draws: PatchDraw[];
}

/**
 * MNIST-M blending: each grayscale image d becomes a colour image whose pixel
 * is |p - d| per channel, with p a random h x w crop of a random image of the
 * patch set (Ganin & Lempitsky 2015). Seeded: the same inputs and seed give the
 * same bytes. Output order equals input order, so labels and splits carry over
 * by index.
 */
export function blendMnistM(source: ImageSet, patches: ImageSet, seed: number): BlendResult {
  if (source.channels !== 1) {
    throw new Error(`source ${source.label}: blending needs a grayscale dataset (1 channel), it has ${source.channels} channels`);
  }
  if (patches.count === 0) throw new Error(`patches ${patches.label}: the patch set has no images`);
  if (patches.channels !== 3) {
    throw new Error(`patches ${patches.label}: the patch set must be colour (3 channels), it has ${patches.channels}`);
  }
  if (patches.height < source.height || patches.width < source.width) {
    throw new Error(
      `patches ${patches.label}: patch images (${patches.height}x${patches.width}) are smaller than the source images (${source.height}x${source.width})`,
    );
  }
  const checkLength = (s: ImageSet): void => {
    if (s.pixels.length !== s.count * s.height * s.width * s.channels) {
      throw new Error(`${s.label}: pixel buffer has ${s.pixels.length} bytes, expected ${s.count * s.height * s.width * s.channels}`);
    }
  };
  checkLength(source);
  checkLength(patches);
  const { height: h, width: w } = source;
  const ph = patches.height;
  const pw = patches.width;
  const out = new Uint8Array(source.count * h * w * 3);
  const draws: PatchDraw[] = [];
  const rng = new Rng(seed);
  for (let i = 0; i < source.count; i++) {
    const patchIndex = rng.int(0, patches.count - 1);
    const y = rng.int(0, ph - h);
    const x = rng.int(0, pw - w);
    draws.push({ patchIndex, y, x });
    const srcBase = i * h * w;
    const patchBase = patchIndex * ph * pw * 3;
    const outBase = i * h * w * 3;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const d = source.pixels[srcBase + r * w + c]!;
        const p = patchBase + ((y + r) * pw + (x + c)) * 3;
        const o = outBase + (r * w + c) * 3;
        out[o] = Math.abs(patches.pixels[p]! - d);
        out[o + 1] = Math.abs(patches.pixels[p + 1]! - d);
        out[o + 2] = Math.abs(patches.pixels[p + 2]! - d);
      }
    }
  }
  return { images: { label: `${source.label} blended`, count: source.count, height: h, width: w, channels: 3, pixels: out }, draws };
}
