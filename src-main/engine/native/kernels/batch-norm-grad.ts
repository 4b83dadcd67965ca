/** The engine's BatchNorm gradient kernel (engine/kernels/batch-norm-kernels.ts) on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_GRAD } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, type NativeKernel } from '../kernel-support.ts';

export const batchNormGradNative: NativeKernel = {
  addonFunction: 'bnGrad',
  configs({ addon, backendName, fallback }) {
    const old = fallback(BN_GRAD);
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { dy, x, mean, invstd, gamma } = args.inputs as Record<'dy' | 'x' | 'mean' | 'invstd' | 'gamma', TensorInfo>;
      const { c, m } = channelRows(x);
      if (m === 0 || c === 0) return old(args);
      const out = allocateFloat32Outputs(b, [[...x.shape], [c], [c]]);
      const [dyo, xo, mo, io, go, dxo, dgo, dbo] = operands(b, dy, x, mean, invstd, gamma, ...out.infos);
      addon.bnGrad(...dyo!, ...xo!, ...mo!, ...io!, ...go!, ...dxo!, ...dgo!, ...dbo!, m, c);
      return out.infos;
    };
    return [{ kernelName: BN_GRAD, backendName, kernelFunc }];
  },
};
