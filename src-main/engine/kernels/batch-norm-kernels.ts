/**
 * Fused BatchNorm training kernels (channels-last, over all leading axes),
 * used by ops/batch-norm.ts on the wasm and cpu backends.
 *
 * Why hand-written JS loops: composed from tfjs ops, BatchNorm training costs
 * ~16 full passes over the activation per layer (moments with the transposes
 * the wasm Sum/Mean do to bring the reduced axes inward, normalise, and a
 * backward pass of subtract/multiply/reduce), and its autodiff gradient
 * materialises Tile. These kernels make 2 passes forward (statistics, scale
 * and shift) and 2 backward (two per-channel sums, dx), memory-bound loops
 * that V8 compiles well; statistics accumulate in float64.
 */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs, float32Views } from './kernel-utils.ts';

export const BN_MOMENTS = 'EngineChannelMoments';
export const BN_SCALE_SHIFT = 'EngineChannelScaleShift';
export const BN_GRAD = 'EngineBatchNormGrad';

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
    const [mean, variance] = out.views();
    const [xs] = float32Views(b, x);
    const sum = new Float64Array(c);
    const sumSq = new Float64Array(c);
    for (let row = 0, base = 0; row < m; row++, base += c) {
      for (let k = 0; k < c; k++) {
        const v = xs![base + k]!;
        sum[k]! += v;
        sumSq[k]! += v * v;
      }
    }
    for (let k = 0; k < c; k++) {
      const mu = sum[k]! / m;
      mean![k] = mu;
      // E[x^2] - mu^2 in float64: cancellation only matters when |mu|/std > ~1e6.
      variance![k] = Math.max(0, sumSq[k]! / m - mu * mu);
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
    const [y] = out.views();
    const [xs, sc, sh] = float32Views(b, x, scale, shift);
    for (let row = 0, base = 0; row < m; row++, base += c) {
      for (let k = 0; k < c; k++) y![base + k] = xs![base + k]! * sc![k]! + sh![k]!;
    }
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
    const [dx, dgamma, dbeta] = out.views();
    const [dys, xs, mu, is, g] = float32Views(bk, dy, x, mean, invstd, gamma);
    const sumDy = new Float64Array(c);
    const sumDyX = new Float64Array(c);
    for (let row = 0, base = 0; row < m; row++, base += c) {
      for (let k = 0; k < c; k++) {
        const d = dys![base + k]!;
        sumDy[k]! += d;
        sumDyX[k]! += d * xs![base + k]!;
      }
    }
    const a = new Float32Array(c);
    const bx = new Float32Array(c);
    const c0 = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      const inv = is![k]!;
      const dg = inv * (sumDyX[k]! - mu![k]! * sumDy[k]!);
      dgamma![k] = dg;
      dbeta![k] = sumDy[k]!;
      const scale = (g![k]! * inv) / m;
      // dx = scale * (m*dy - sumDy - (x - mu)*inv*dg)
      a[k] = scale * m;
      bx[k] = -scale * inv * dg;
      c0[k] = scale * (mu![k]! * inv * dg - sumDy[k]!);
    }
    for (let row = 0, base = 0; row < m; row++, base += c) {
      for (let k = 0; k < c; k++) dx![base + k] = a[k]! * dys![base + k]! + bx[k]! * xs![base + k]! + c0[k]!;
    }
    return out.infos;
  };
  return { kernelName: BN_GRAD, backendName, kernelFunc };
}

export const batchNormKernels: ReadonlyArray<(backendName: string) => KernelConfig> = [moments, scaleShift, batchNormGrad];
