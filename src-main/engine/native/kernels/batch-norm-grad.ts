/** The engine's BatchNorm gradient kernel (engine/kernels/batch-norm-kernels.ts) on the addon, and the same through a ReLU that follows. */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_GRAD, BN_RELU_GRAD } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, optionalOperand, type NativeKernel } from '../kernel-support.ts';

export const batchNormGradNative: NativeKernel = {
  addonFunction: 'bnGrad',
  configs({ addon, backendName, fallback }) {
    // BN_RELU_GRAD: the same with `y`, the output of the ReLU that follows (dy is the ReLU's upstream gradient).
    const config = (kernelName: string): KernelConfig => {
      const old = fallback(kernelName);
      const kernelFunc: KernelFunc = (args) => {
        const b = args.backend as KernelBackend;
        const { dy, x, mean, invstd, gamma, y } = args.inputs as Record<'dy' | 'x' | 'mean' | 'invstd' | 'gamma', TensorInfo> & { y?: TensorInfo };
        const { c, m } = channelRows(x);
        if (m === 0 || c === 0) return old(args);
        const out = allocateFloat32Outputs(b, [[...x.shape], [c], [c]]);
        const [dyo, xo, mo, io, go, dxo, dgo, dbo] = operands(b, dy, x, mean, invstd, gamma, ...out.infos);
        addon.bnGrad(...dyo!, ...xo!, ...mo!, ...io!, ...go!, ...dxo!, ...dgo!, ...dbo!, m, c, ...optionalOperand(b, y));
        return out.infos;
      };
      return { kernelName, backendName, kernelFunc };
    };
    return [config(BN_GRAD), config(BN_RELU_GRAD)];
  },
};
