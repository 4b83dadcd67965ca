import * as tf from '@tensorflow/tfjs-core';

/** uint8 [n,H,W,C] -> float [n,H,W,C] centred and scaled: (x/255 - 0.5) / 0.25. */
export function localizeInput(pixels: Uint8Array, n: number, h: number, w: number, c: number): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(pixels, [n, h, w, c], 'float32'), 255), 0.5), 0.25) as tf.Tensor4D);
}
