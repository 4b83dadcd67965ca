import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';

/** uint8 [n,H,W,3] pixels -> float [n,H,W,3] in [-1, 1], optionally mirrored left-right per image. */
export function toNetInput(pixels: Uint8Array, n: number, h: number, w: number, flips?: boolean[]): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.sub(tf.div(tf.tensor4d(pixels, [n, h, w, 3], 'float32'), 127.5), 1) as tf.Tensor4D;
    if (!flips || !flips.some(Boolean)) return x;
    const mirrored = tf.reverse(x, 2); // width axis of [n,H,W,3]
    const mask = tf.tensor4d(flips.map((f) => (f ? 1 : 0)), [n, 1, 1, 1]);
    return tf.add(tf.mul(mirrored, mask), tf.mul(x, tf.sub(1, mask))) as tf.Tensor4D;
  });
}

/** float [n,H,W,3] in [-1, 1] -> uint8 [n,H,W,3]. */
export async function fromNetOutput(x: tf.Tensor4D): Promise<Uint8Array> {
  const scaled = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(tf.add(x, 1), 127.5)), 0, 255));
  const data = await scaled.data();
  scaled.dispose();
  return Uint8Array.from(data);
}

/** Writes one HWC uint8 RGB image as PNG. */
export async function writePng(file: string, rgb: Uint8Array, h: number, w: number): Promise<void> {
  await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(file);
}
