import * as tf from '@tensorflow/tfjs-core';

/**
 * Reflect padding of x [B,H,W,C] by p pixels on each side of H and W (PyTorch
 * ReflectionPad2d, CycleGAN's generator) with the correct gradient: each padded pixel's
 * gradient goes back to the pixel it copies. TF.js' MirrorPad gradient only slices the
 * centre out of dy, silently dropping the borders' share (for a 7x7 stem conv behind a
 * 3-pixel pad, 3 of every 64 rows' contributions in a 64-row image).
 * The gradient is one kernel (`REFLECT_PAD_GRAD`, native addon) where registered, else tf ops.
 */
export const REFLECT_PAD_GRAD = 'EngineReflectPadGrad';

/** dx from dy [B,H+2p,W+2p,C] with tf ops: fold the borders of axis 1, then of axis 2. */
function foldOps(dy: tf.Tensor4D, p: number): tf.Tensor4D {
  const fold = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
    const n = t.shape[axis] - 2 * p; // x's size along axis
    const begin = (at: number): number[] => (axis === 1 ? [0, at, 0, 0] : [0, 0, at, 0]);
    const size = (len: number): number[] => (axis === 1 ? [-1, len, -1, -1] : [-1, -1, len, -1]);
    const pads = (before: number, after: number): [number, number][] => (axis === 1 ? [[0, 0], [before, after], [0, 0], [0, 0]] : [[0, 0], [0, 0], [before, after], [0, 0]]);
    const centre = tf.slice(t, begin(p), size(n));
    // Padded rows 0..p-1 copy x rows p..1; rows p+n..n+2p-1 copy x rows n-2..n-1-p.
    const top = tf.pad(tf.reverse(tf.slice(t, begin(0), size(p)), axis), pads(1, n - 1 - p));
    const bottom = tf.pad(tf.reverse(tf.slice(t, begin(p + n), size(p)), axis), pads(n - 1 - p, 1));
    return tf.addN([centre, top, bottom]) as tf.Tensor4D;
  };
  return fold(fold(dy, 1), 2);
}

export function reflectPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  if (p === 0) return x;
  const [, h, w] = x.shape;
  if (p >= h || p >= w) throw new Error(`reflectPad: padding ${p} must be smaller than the image ${h}x${w}`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    return {
      value: tf.mirrorPad(input, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect'),
      gradFunc: (dy: tf.Tensor) => {
        if (process.env.WORKBENCH_NATIVE_REFLECT_PAD !== '0' && tf.getKernel(REFLECT_PAD_GRAD, tf.getBackend()) != null) {
          return tf.engine().runKernel(REFLECT_PAD_GRAD, { dy }, { p }) as tf.Tensor;
        }
        return foldOps(dy as tf.Tensor4D, p);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}
