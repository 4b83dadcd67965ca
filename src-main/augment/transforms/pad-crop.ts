import type { Transform } from './types.ts';

/** Pad, then crop a random window: the CIFAR recipe "crop 32 pad 4". */
export interface PadCropOptions {
  /** Output [height, width]; 0 means the input's size. */
  size: number[];
  padding: number;
  padMode: 'constant' | 'edge' | 'reflect';
  padValue: number;
}

export interface PadCropParams {
  /** Top-left of the crop in padded coordinates (0..2*padding when the size is unchanged). */
  top: number;
  left: number;
  padding: number;
  height: number;
  width: number;
  padMode: PadCropOptions['padMode'];
  padValue: number;
}

function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  // Reflect without repeating the edge pixel (numpy 'reflect', torchvision 'reflect').
  const period = 2 * (n - 1);
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - m;
  return m;
}

function outSize(shape: { h: number; w: number }, o: PadCropOptions): [number, number] {
  return [o.size[0] || shape.h, o.size[1] || shape.w];
}

export const padCrop: Transform<PadCropOptions, PadCropParams> = {
  name: 'padCrop',
  title: 'Pad and random crop',
  summary: 'Pad every side, then crop a window of the given size at a random position.',
  params: [
    { name: 'size', label: 'Crop size [h, w]', kind: 'numbers', length: 2, default: [0, 0], description: '0 keeps the input size.' },
    { name: 'padding', label: 'Padding', kind: 'integer', min: 0, max: 256, default: 4, description: 'Pixels added on every side.' },
    { name: 'padMode', label: 'Pad mode', kind: 'enum', options: ['constant', 'edge', 'reflect'], default: 'constant', description: 'What the padding holds.' },
    { name: 'padValue', label: 'Pad value', kind: 'number', min: -1000, max: 1000, step: 1, default: 0, description: "Value for pad mode 'constant'." },
  ],
  presets: { cifar: { size: [32, 32], padding: 4, padMode: 'constant', padValue: 0 } },
  random: true,
  changesShape: true,
  check(o) {
    if (o.size.some((s) => !Number.isInteger(s) || s < 0)) return 'size must be two non-negative integers';
    return null;
  },
  outputShape(shape, o) {
    const [h, w] = outSize(shape, o);
    return { h, w, c: shape.c };
  },
  makeParams(rng, shape, o) {
    const [height, width] = outSize(shape, o);
    const maxTop = shape.h + 2 * o.padding - height;
    const maxLeft = shape.w + 2 * o.padding - width;
    if (maxTop < 0 || maxLeft < 0) {
      throw new Error(`padCrop: crop ${height}x${width} is larger than the padded image ${shape.h + 2 * o.padding}x${shape.w + 2 * o.padding}`);
    }
    return { top: rng.int(0, maxTop), left: rng.int(0, maxLeft), padding: o.padding, height, width, padMode: o.padMode, padValue: o.padValue };
  },
  apply(image, p) {
    const { h, w, c } = image;
    const src = image.data;
    const data = new Float32Array(p.height * p.width * c);
    if (p.padMode === 'constant') {
      // Fast path: copy each row's inside span in one block, fill the rest with the pad value.
      if (p.padValue !== 0) data.fill(p.padValue);
      const x0 = Math.max(0, p.padding - p.left);
      const x1 = Math.min(p.width, w + p.padding - p.left);
      for (let oy = 0; oy < p.height; oy++) {
        const y = p.top + oy - p.padding;
        if (y < 0 || y >= h || x1 <= x0) continue;
        const sx = p.left + x0 - p.padding;
        data.set(src.subarray((y * w + sx) * c, (y * w + sx + (x1 - x0)) * c), (oy * p.width + x0) * c);
      }
      return { data, h: p.height, w: p.width, c };
    }
    // Edge and reflect: every output pixel maps to some source pixel.
    for (let oy = 0; oy < p.height; oy++) {
      let y = p.top + oy - p.padding;
      if (y < 0 || y >= h) y = p.padMode === 'edge' ? Math.min(Math.max(y, 0), h - 1) : reflectIndex(y, h);
      for (let ox = 0; ox < p.width; ox++) {
        let x = p.left + ox - p.padding;
        const o = (oy * p.width + ox) * c;
        if (x < 0 || x >= w) x = p.padMode === 'edge' ? Math.min(Math.max(x, 0), w - 1) : reflectIndex(x, w);
        const s = (y * w + x) * c;
        for (let ch = 0; ch < c; ch++) data[o + ch] = src[s + ch]!;
      }
    }
    return { data, h: p.height, w: p.width, c };
  },
};
