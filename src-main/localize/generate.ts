/**
 * Generated localization sets: one object image pasted at a random position
 * and scale on a larger gray canvas, with its true box and mask. Pure
 * functions on uint8 gray images (no TF.js, no database); the
 * `localize.generate` job (generate-runner.ts) feeds them real images.
 *
 * Recipes:
 * - `cluttered`: black canvas, small fragments (8x8 crops of other items). Easy:
 *   the input itself already localizes the object.
 * - `textured`: a gray background image at `backgroundContrast` and a few larger
 *   fragments (side ~14*scale, cut from other items scaled like the object), so
 *   brightness alone no longer gives the object away.
 */
import type { Rng } from '../common/random.ts';
import type { Box } from './boxes.ts';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ComposeOptions {
  recipe: 'textured' | 'cluttered';
  canvas: number;
  /** Object scale range relative to its source size. */
  scale: [number, number];
  /** Multiplier of the background's gray values (textured). */
  backgroundContrast: number;
  fragments: number;
  /** Object pixels above this gray value define the true box and mask. */
  objectThreshold: number;
}

export const defaultComposeOptions: ComposeOptions = { recipe: 'textured', canvas: 64, scale: [0.8, 1.3], backgroundContrast: 0.8, fragments: 4, objectThreshold: 10 };

export interface Composed {
  image: Uint8Array;
  /** Tight box of the object's pixels above the threshold (exclusive ends). */
  box: Box;
  /** 1 where the object's pixels are above the threshold. */
  mask: Uint8Array;
  scale: number;
}

/** Bilinear resize of a gray image (pixel centres aligned, edges clamped). */
export function resizeGray(img: GrayImage, outW: number, outH: number): GrayImage {
  const out = new Uint8Array(outW * outH);
  const sx = img.width / outW;
  const sy = img.height / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const top = img.data[y0 * img.width + x0]! * (1 - wx) + img.data[y0 * img.width + x1]! * wx;
      const bottom = img.data[y1 * img.width + x0]! * (1 - wx) + img.data[y1 * img.width + x1]! * wx;
      out[y * outW + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return { data: out, width: outW, height: outH };
}

export function crop(img: GrayImage, x: number, y: number, w: number, h: number): GrayImage {
  const out = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) out.set(img.data.subarray((y + r) * img.width + x, (y + r) * img.width + x + w), r * w);
  return { data: out, width: w, height: h };
}

/** Pastes `src` at (x, y) by the pixelwise maximum (a bright object on a darker canvas). */
function pasteMax(canvas: Uint8Array, size: number, src: GrayImage, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    const cy = y + r;
    if (cy < 0 || cy >= size) continue;
    for (let c = 0; c < src.width; c++) {
      const cx = x + c;
      if (cx < 0 || cx >= size) continue;
      const v = src.data[r * src.width + c]!;
      const i = cy * size + cx;
      if (v > canvas[i]!) canvas[i] = v;
    }
  }
}

function overlaps(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * One sample: the object scaled and pasted fully inside the canvas, fragments
 * of `others` placed where they do not overlap the object's box (up to 20
 * tries each, else left out), on the background (textured) or black.
 */
export function composeSample(object: GrayImage, others: readonly GrayImage[], background: GrayImage | null, rng: Rng, o: ComposeOptions): Composed {
  const size = o.canvas;
  const canvas = new Uint8Array(size * size);
  if (o.recipe === 'textured') {
    if (!background) throw new Error('background: the textured recipe needs a background image.');
    const bg = background.width === size && background.height === size ? background : resizeGray(background, size, size);
    for (let i = 0; i < canvas.length; i++) canvas[i] = Math.round(bg.data[i]! * o.backgroundContrast);
  }
  const scale = rng.uniform(o.scale[0], o.scale[1]);
  const ow = Math.min(size, Math.max(1, Math.round(object.width * scale)));
  const oh = Math.min(size, Math.max(1, Math.round(object.height * scale)));
  const obj = ow === object.width && oh === object.height ? object : resizeGray(object, ow, oh);
  const ox = rng.int(0, size - ow);
  const oy = rng.int(0, size - oh);

  // Tight box and mask of the object's own pixels.
  const mask = new Uint8Array(size * size);
  let x0 = size;
  let y0 = size;
  let x1 = -1;
  let y1 = -1;
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      if (obj.data[r * ow + c]! <= o.objectThreshold) continue;
      mask[(oy + r) * size + ox + c] = 1;
      x0 = Math.min(x0, ox + c);
      x1 = Math.max(x1, ox + c);
      y0 = Math.min(y0, oy + r);
      y1 = Math.max(y1, oy + r);
    }
  }
  const box: Box = x1 < 0 ? [ox, oy, ox + ow, oy + oh] : [x0, y0, x1 + 1, y1 + 1];

  const fragSide = o.recipe === 'cluttered' ? 8 : Math.max(2, Math.round(14 * scale));
  for (let f = 0; f < o.fragments && others.length > 0; f++) {
    const src = others[rng.int(0, others.length - 1)]!;
    const scaled = o.recipe === 'cluttered' ? src : resizeGray(src, Math.max(1, Math.round(src.width * scale)), Math.max(1, Math.round(src.height * scale)));
    const side = Math.min(fragSide, scaled.width, scaled.height, size);
    const piece = crop(scaled, rng.int(0, scaled.width - side), rng.int(0, scaled.height - side), side, side);
    for (let t = 0; t < 20; t++) {
      const fx = rng.int(0, size - side);
      const fy = rng.int(0, size - side);
      if (overlaps([fx, fy, fx + side, fy + side], box)) continue;
      pasteMax(canvas, size, piece, fx, fy);
      break;
    }
  }
  pasteMax(canvas, size, obj, ox, oy);
  return { image: canvas, box, mask, scale };
}
