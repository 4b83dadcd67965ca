/** engine/ops/reflect-pad.ts's gradient kernel on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { REFLECT_PAD_GRAD } from '../../ops/reflect-pad.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

export const reflectPadGradNative: NativeKernel = {
  addonFunction: 'reflectPadGrad',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const { dy } = args.inputs as { dy: TensorInfo };
      const { p } = args.attrs as { p: number };
      if (dy.shape.length !== 4 || dy.dtype !== 'float32') throw new Error(`${REFLECT_PAD_GRAD}: dy must be float32 [B,H,W,C], got ${dy.dtype} ${JSON.stringify(dy.shape)}`);
      const [b, ph, pw, c] = dy.shape as [number, number, number, number];
      const out = allocateFloat32Outputs(backend, [[b, ph - 2 * p, pw - 2 * p, c]]);
      const [dyo, dxo] = operands(backend, dy, ...out.infos);
      addon.reflectPadGrad(...dyo!, ...dxo!, b, ph - 2 * p, pw - 2 * p, c, p);
      return out.infos;
    };
    return [{ kernelName: REFLECT_PAD_GRAD, backendName, kernelFunc }];
  },
};
