/**
 * Fused BatchNorm training kernels (channels-last, over all leading axes),
 * used by ops/batch-norm.ts on the wasm and cpu backends.
 *
 * Why hand-written loops: composed from tfjs ops, BatchNorm training costs
 * ~16 full passes over the activation per layer (moments with the transposes
 * the wasm Sum/Mean do to bring the reduced axes inward, normalise, and a
 * backward pass of subtract/multiply/reduce), and its autodiff gradient
 * materialises Tile. These kernels make 2 passes forward (statistics, scale
 * and shift) and 2 backward (two per-channel sums, dx); statistics accumulate
 * in float64. On the threaded wasm build the rows are split with a helper
 * thread (js-parallel.ts).
 */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs, float32Operands, float32Views } from './kernel-utils.ts';
import { runRows } from './js-parallel.ts';

export const BN_MOMENTS = 'EngineChannelMoments';
export const BN_SCALE_SHIFT = 'EngineChannelScaleShift';
export const BN_GRAD = 'EngineBatchNormGrad';
/**
 * A BatchNorm followed by a ReLU, fused: relu(x * scale + shift) in one pass (inputs as
 * BN_SCALE_SHIFT), and its gradient (inputs as BN_GRAD plus `y`, the ReLU's output; dy is the
 * ReLU's upstream gradient). Only the native addon registers these
 * (native/kernels/batch-norm-*.ts); ops/batch-norm.ts composes the unfused kernels where they
 * are missing, with the same bits.
 */
export const BN_SCALE_SHIFT_RELU = 'EngineChannelScaleShiftRelu';
export const BN_RELU_GRAD = 'EngineBatchNormReluGrad';
/** BN_RELU_GRAD that also outputs the masked gradient dy * step(y) (a block end's residual gradient): [dx, dgamma, dbeta, g]; native addon only. */
export const BN_RELU_GRAD_MASKED = 'EngineBatchNormReluGradMasked';
/** A ResNet block's end: relu(x * scale + shift + residual) in one pass (inputs as BN_SCALE_SHIFT plus `residual`, x's shape); native addon only, like the two above. */
export const BN_SCALE_SHIFT_ADD_RELU = 'EngineChannelScaleShiftAddRelu';

function channelsOf(x: TensorInfo): { c: number; m: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { c, m: x.shape.reduce((a, b) => a * b, 1) / c };
}

/** x [..., C] -> mean [C], biased variance [C]. */
function moments(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const b = backend as KernelBackend;
    const { x } = inputs as { x: TensorInfo };
    const { c, m } = channelsOf(x);
    const out = allocateFloat32Outputs(b, [[c], [c]]);
    const acc = new Float64Array(2 * c); // sum, sum of squares
    runRows('sums1', float32Operands(b, x), c, m, null, acc);
    const [mean, variance] = out.views();
    for (let k = 0; k < c; k++) {
      const mu = acc[k]! / m;
      mean![k] = mu;
      // E[x^2] - mu^2 in float64: cancellation only matters when |mu|/std > ~1e6.
      variance![k] = Math.max(0, acc[c + k]! / m - mu * mu);
    }
    return out.infos;
  };
  return { kernelName: BN_MOMENTS, backendName, kernelFunc };
}

/** y = x * scale[c] + shift[c]. */
function scaleShift(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const b = backend as KernelBackend;
    const { x, scale, shift } = inputs as { x: TensorInfo; scale: TensorInfo; shift: TensorInfo };
    const { c, m } = channelsOf(x);
    const out = allocateFloat32Outputs(b, [[...x.shape]]);
    const [sc, sh] = float32Views(b, scale, shift);
    const coef = new Float64Array(2 * c);
    coef.set(sc!, 0);
    coef.set(sh!, c);
    runRows('affine1', float32Operands(b, x, out.infos[0]!), c, m, coef, null);
    return out.infos;
  };
  return { kernelName: BN_SCALE_SHIFT, backendName, kernelFunc };
}

/**
 * Inputs dy, x [..., C], mean, invstd, gamma [C]. Outputs dx, dgamma, dbeta:
 *   dbeta = sum(dy), dgamma = sum(dy * xhat) = invstd * (sum(dy*x) - mean*sum(dy))
 *   dx = gamma*invstd/N * (N*dy - dbeta - xhat*dgamma) = a*dy + b*x + c per channel.
 */
function batchNormGrad(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const bk = backend as KernelBackend;
    const { dy, x, mean, invstd, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'invstd' | 'gamma', TensorInfo>;
    const { c, m } = channelsOf(x);
    const out = allocateFloat32Outputs(bk, [[...x.shape], [c], [c]]);
    const acc = new Float64Array(2 * c); // sum(dy), sum(dy*x)
    runRows('sums2', float32Operands(bk, x, dy), c, m, null, acc);
    const [, dgamma, dbeta] = out.views();
    const [mu, is, g] = float32Views(bk, mean, invstd, gamma);
    const coef = new Float64Array(3 * c); // a, b, c0
    for (let k = 0; k < c; k++) {
      const inv = is![k]!;
      const sumDy = acc[k]!;
      const dg = inv * (acc[c + k]! - mu![k]! * sumDy);
      dgamma![k] = dg;
      dbeta![k] = sumDy;
      const scale = (g![k]! * inv) / m;
      // dx = scale * (m*dy - sumDy - (x - mu)*inv*dg)
      coef[k] = scale * m;
      coef[c + k] = -scale * inv * dg;
      coef[2 * c + k] = scale * (mu![k]! * inv * dg - sumDy);
    }
    runRows('affine2', float32Operands(bk, dy, x, out.infos[0]!), c, m, coef, null);
    return out.infos;
  };
  return { kernelName: BN_GRAD, backendName, kernelFunc };
}

export const batchNormKernels: ReadonlyArray<(backendName: string) => KernelConfig> = [moments, scaleShift, batchNormGrad];
