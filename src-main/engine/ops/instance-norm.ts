import * as tf from '@tensorflow/tfjs-core';

/**
 * Parameter-free InstanceNorm (PyTorch InstanceNorm2d's default, as CycleGAN uses it) over
 * x [B,H,W,C], statistics per sample and channel, optionally followed by ReLU or LeakyReLU,
 * with a hand-written gradient:
 *
 *   y = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps),  out = act(y)
 *   g = act'(y) * dy,  dx = rstd * (g - mean(g) - y * mean(g * y)),  means over H and W
 *
 * Where the native kernels are registered (wasm + addon) each direction is ONE kernel of two
 * passes (`INSTANCE_NORM`, `INSTANCE_NORM_GRAD`, engine/native/kernels/instance-norm.ts):
 * composed from tf ops the forward pass is 7 kernels plus the activation and the backward
 * pass 7 plus the activation's 2-3, which dominated a small generator's step after the convs.
 * Elsewhere (cpu, tfjs-node, wasm without the addon) the same formula runs as tf ops.
 * `WORKBENCH_NATIVE_INSTANCE_NORM=0` (read per call) takes the tf-op path for A/B timing.
 */
export const INSTANCE_NORM = 'EngineInstanceNorm';
export const INSTANCE_NORM_GRAD = 'EngineInstanceNormGrad';

export type InstanceNormActivation = 'none' | 'relu' | 'leaky';

/** Attributes of both kernels: act 0 none, 1 relu, 2 leaky (slope alpha). */
export interface InstanceNormAttrs {
  eps: number;
  act: 0 | 1 | 2;
  alpha: number;
}

const ACT = { none: 0, relu: 1, leaky: 2 } as const;

function fusedActive(): boolean {
  if (process.env.WORKBENCH_NATIVE_INSTANCE_NORM === '0') return false;
  const backend = tf.getBackend();
  return tf.getKernel(INSTANCE_NORM, backend) != null && tf.getKernel(INSTANCE_NORM_GRAD, backend) != null;
}

function activate(y: tf.Tensor, act: InstanceNormActivation, alpha: number): tf.Tensor {
  if (act === 'relu') return tf.relu(y);
  if (act === 'leaky') return tf.leakyRelu(y, alpha);
  return y;
}

/** The composite path: forward [y, rstd] from tf ops. */
function forwardOps(x: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor] {
  const mean = tf.mean(x, [1, 2], true); // [B,1,1,C]
  const centered = tf.sub(x, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), [1, 2], true), eps)); // [B,1,1,C]
  return [tf.mul(centered, rstd), rstd];
}

/** The composite path's gradient: dx from dy, y and rstd [B,1,1,C]. */
function backwardOps(dy: tf.Tensor, y: tf.Tensor, rstd: tf.Tensor, act: InstanceNormActivation, alpha: number): tf.Tensor {
  let g = dy;
  if (act === 'relu') g = tf.mul(dy, tf.step(y));
  else if (act === 'leaky') g = tf.where(tf.greater(y, 0), dy, tf.mul(dy, alpha));
  const g1 = tf.mean(g, [1, 2], true);
  const g2 = tf.mean(tf.mul(g, y), [1, 2], true);
  return tf.mul(rstd, tf.sub(tf.sub(g, g1), tf.mul(y, g2)));
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: InstanceNormAttrs): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, { ...attrs });
  return Array.isArray(out) ? out : [out];
}

export function instanceNormAct(x: tf.Tensor4D, activation: InstanceNormActivation = 'none', alpha = 0.2, eps = 1e-5): tf.Tensor4D {
  if (x.dtype !== 'float32') throw new Error(`instanceNorm: x must be float32, got ${x.dtype}`);
  const fused = fusedActive();
  const attrs: InstanceNormAttrs = { eps, act: ACT[activation], alpha };
  // customGrad passes the inputs and then the save function in one rest list.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    let y: tf.Tensor;
    let rstd: tf.Tensor;
    let out: tf.Tensor;
    if (fused) {
      const r = runKernel(INSTANCE_NORM, { x: input }, attrs); // [out,] y, rstd [B,C]
      [y, rstd] = activation === 'none' ? [r[0]!, r[1]!] : [r[1]!, r[2]!];
      out = r[0]!;
    } else {
      [y, rstd] = forwardOps(input, eps);
      out = activate(y, activation, alpha);
    }
    save([y, rstd]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ys, rs] = saved as [tf.Tensor, tf.Tensor];
        if (fused) return runKernel(INSTANCE_NORM_GRAD, { dy, y: ys, rstd: rs }, attrs)[0]!;
        return backwardOps(dy, ys, rs, activation, alpha);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}
