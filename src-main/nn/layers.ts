import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.ts';
import { instanceNormAct, type InstanceNormActivation } from '../engine/ops/instance-norm.ts';
import { reflectPad } from '../engine/ops/reflect-pad.ts';

/** NHWC building blocks shared by the SPGAN networks and the IDE ResNet. */

export type Pad = { kind: 'reflect' | 'zero'; size: number } | 'same' | 'valid';

/** Conv with weights [k, k, in, out] and optional bias; padding applied explicitly so reflect padding is possible. */
export function conv(
  p: ParamStore,
  name: string,
  x: tf.Tensor4D,
  out: number,
  k: number,
  stride: number,
  pad: Pad,
  options: { bias?: boolean; init?: 'normal' | 'he' } = {},
): tf.Tensor4D {
  const inC = x.shape[3];
  const w = p.get(`${name}/kernel`, [k, k, inC, out], options.init ?? 'normal');
  let input = x;
  // Zero padding goes to the conv as explicit padding (its kernels pad on the fly): a separate
  // tf.pad costs a full copy forward and a Slice of the gradient backward. Same sums either way.
  let mode: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] = 'valid';
  if (pad === 'same' || pad === 'valid') mode = pad;
  else if (pad.size > 0) {
    if (pad.kind === 'reflect') input = reflectPad(x, pad.size);
    else mode = [[0, 0], [pad.size, pad.size], [pad.size, pad.size], [0, 0]];
  }
  let y = tf.conv2d(input, w as tf.Tensor4D, stride, mode);
  if (options.bias !== false) y = tf.add(y, p.get(`${name}/bias`, [out], 'zeros'));
  return y;
}

/**
 * Transposed conv doubling H and W (PyTorch ConvTranspose2d k3 s2 p1
 * output_padding 1 of the CycleGAN generator). Kernel [k, k, out, in] as TF.js wants.
 */
export function upconv(p: ParamStore, name: string, x: tf.Tensor4D, out: number, k = 3): tf.Tensor4D {
  const [b, h, w, inC] = x.shape;
  const kernel = p.get(`${name}/kernel`, [k, k, out, inC], 'normal');
  const y = tf.conv2dTranspose(x, kernel as tf.Tensor4D, [b, h * 2, w * 2, out], 2, 'same');
  return tf.add(y, p.get(`${name}/bias`, [out], 'zeros'));
}

/** InstanceNorm by autodiff of tf.moments: the reference for the fused version below (tests compare them). */
export function instanceNormReference(x: tf.Tensor4D, eps = 1e-5): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true); // per sample and channel: [B,1,1,C]
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
}

/**
 * InstanceNorm without affine parameters (PyTorch InstanceNorm2d default, as
 * CycleGAN uses it), optionally followed by ReLU or LeakyReLU (slope 0.2), with a
 * hand-written gradient: one native kernel each way where the addon is loaded
 * (engine/ops/instance-norm.ts), the same formula from tf ops elsewhere.
 */
export function instanceNorm(x: tf.Tensor4D, activation: InstanceNormActivation = 'none', eps = 1e-5): tf.Tensor4D {
  return instanceNormAct(x, activation, 0.2, eps);
}

export function leaky(x: tf.Tensor4D, alpha = 0.2): tf.Tensor4D {
  return tf.leakyRelu(x, alpha);
}

export function dense(p: ParamStore, name: string, x: tf.Tensor2D, out: number): tf.Tensor2D {
  const w = p.get(`${name}/kernel`, [x.shape[1], out], 'normal');
  return tf.add(tf.matMul(x, w as tf.Tensor2D), p.get(`${name}/bias`, [out], 'zeros'));
}

/** Rows scaled to unit Euclidean norm (embedding and re-ID features). */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), eps)));
}
