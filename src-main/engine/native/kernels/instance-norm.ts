/** engine/ops/instance-norm.ts's two kernels (InstanceNorm + activation, forward and gradient) on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { INSTANCE_NORM, INSTANCE_NORM_GRAD, type InstanceNormAttrs } from '../../ops/instance-norm.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

/** [B,H,W,C] as (b, hw, c); the op only calls these kernels with 4-D float32 NHWC tensors. */
function dims(x: TensorInfo, kernel: string): [number, number, number] {
  if (x.shape.length !== 4 || x.dtype !== 'float32') throw new Error(`${kernel}: expects a float32 [B,H,W,C] tensor, got ${x.dtype} ${JSON.stringify(x.shape)}`);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  return [b, h * w, c];
}

export const instanceNormNative: NativeKernel = {
  addonFunction: 'instanceNorm',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const { x } = args.inputs as { x: TensorInfo };
      const { eps, act, alpha } = args.attrs as unknown as InstanceNormAttrs;
      const [b, hw, c] = dims(x, INSTANCE_NORM);
      // Outputs: [out (with an activation),] y, rstd [B,C].
      const shapes = act === 0 ? [[...x.shape], [b, c]] : [[...x.shape], [...x.shape], [b, c]];
      const out = allocateFloat32Outputs(backend, shapes);
      const ops = operands(backend, x, ...out.infos);
      const [xo, first, second, third] = ops;
      const [outOp, yOp, rstdOp] = act === 0 ? [[null, 0] as const, first!, second!] : [first!, second!, third!];
      addon.instanceNorm(...xo!, ...yOp, ...outOp, ...rstdOp, new Float32Array([eps, alpha]), 0, b, hw, c, act);
      return out.infos;
    };
    return [{ kernelName: INSTANCE_NORM, backendName, kernelFunc }];
  },
};

export const instanceNormGradNative: NativeKernel = {
  addonFunction: 'instanceNormGrad',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const { dy, y, rstd } = args.inputs as Record<'dy' | 'y' | 'rstd', TensorInfo>;
      const { act, alpha } = args.attrs as unknown as InstanceNormAttrs;
      const [b, hw, c] = dims(y, INSTANCE_NORM_GRAD);
      if (rstd.shape.reduce((p, d) => p * d, 1) !== b * c) throw new Error(`${INSTANCE_NORM_GRAD}: rstd ${JSON.stringify(rstd.shape)} must hold ${b}x${c} values`);
      const out = allocateFloat32Outputs(backend, [[...y.shape]]);
      const [dyo, yo, ro, dxo] = operands(backend, dy, y, rstd, ...out.infos);
      addon.instanceNormGrad(...dyo!, ...yo!, ...ro!, ...dxo!, new Float32Array([alpha]), 0, b, hw, c, act);
      return out.infos;
    };
    return [{ kernelName: INSTANCE_NORM_GRAD, backendName, kernelFunc }];
  },
};
