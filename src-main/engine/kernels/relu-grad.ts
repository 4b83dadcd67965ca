import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs, float32Views } from './kernel-utils.ts';

/** ReLU's gradient in one kernel: inputs dy and y = relu(x) (same shapes), output dy * step(y). */
export const RELU_GRAD = 'EngineReluGrad';

/**
 * ReLU's gradient as one pass (the JS loop here; the native addon replaces it on wasm with a
 * threaded one, native/kernels/elementwise.ts). Why: TF.js' gradient is
 * Multiply(dy, Cast(Step(y))): three kernels, two full-size intermediates, and on a ResNet
 * step 19 of each per batch.
 *
 * The same product as that chain, so the same bits: step(y) is 1 where y > 0, NaN where y is
 * NaN, else 0, and dy * 0 keeps the sign of dy (-0), as Multiply does.
 */
export function reluGradKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const b = backend as KernelBackend;
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    if (dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
      throw new Error(`${RELU_GRAD}: dy ${JSON.stringify(dy.shape)} and y ${JSON.stringify(y.shape)} must have the same shape`);
    }
    const out = allocateFloat32Outputs(b, [[...y.shape]]);
    const [g, v, o] = [...float32Views(b, dy, y), ...out.views()] as [Float32Array, Float32Array, Float32Array];
    for (let i = 0; i < o.length; i++) {
      const s = v[i]!;
      o[i] = g[i]! * (s > 0 ? 1 : s !== s ? NaN : 0);
    }
    return out.infos[0]!;
  };
  return { kernelName: RELU_GRAD, backendName, kernelFunc };
}
