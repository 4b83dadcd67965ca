/** The engine's BatchNorm gradient kernel (engine/kernels/batch-norm-kernels.ts) on the addon, the same through a ReLU that follows, and that also returning the ReLU's gradient. */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_GRAD, BN_RELU_GRAD, BN_RELU_GRAD_MASKED } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, optionalOperand, type NativeKernel } from '../kernel-support.ts';

export const batchNormGradNative: NativeKernel = {
  addonFunction: 'bnGrad',
  configs({ addon, backendName, fallback }) {
    // BN_RELU_GRAD: the same with `y`, the output of the ReLU that follows (dy is the ReLU's upstream gradient).
    // BN_RELU_GRAD_MASKED: BN_RELU_GRAD plus a fourth output, dy * step(y).
    const config = (kernelName: string, masked = false): KernelConfig => {
      const old = fallback(kernelName);
      const kernelFunc: KernelFunc = (args) => {
        const b = args.backend as KernelBackend;
        const { dy, x, mean, invstd, gamma, y } = args.inputs as Record<'dy' | 'x' | 'mean' | 'invstd' | 'gamma', TensorInfo> & { y?: TensorInfo };
        const { c, m } = channelRows(x);
        if (m === 0 || c === 0) return old(args);
        if (masked && !y) throw new Error(`${kernelName}: the input y (the ReLU's output) is missing`);
        const out = allocateFloat32Outputs(b, masked ? [[...x.shape], [c], [c], [...x.shape]] : [[...x.shape], [c], [c]]);
        const [dyo, xo, mo, io, go, dxo, dgo, dbo] = operands(b, dy, x, mean, invstd, gamma, ...out.infos.slice(0, 3));
        if (masked) addon.bnGrad(...dyo!, ...xo!, ...mo!, ...io!, ...go!, ...dxo!, ...dgo!, ...dbo!, m, c, ...optionalOperand(b, y), ...optionalOperand(b, out.infos[3]));
        else addon.bnGrad(...dyo!, ...xo!, ...mo!, ...io!, ...go!, ...dxo!, ...dgo!, ...dbo!, m, c, ...optionalOperand(b, y));
        return out.infos;
      };
      return { kernelName, backendName, kernelFunc };
    };
    return [config(BN_GRAD), config(BN_RELU_GRAD), config(BN_RELU_GRAD_MASKED, true)];
  },
};
