/** The engine's BatchNorm scale-and-shift kernel (engine/kernels/batch-norm-kernels.ts) on the addon, and the same followed by ReLU in one pass. */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_SCALE_SHIFT, BN_SCALE_SHIFT_RELU } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, type NativeKernel } from '../kernel-support.ts';

export const batchNormScaleShiftNative: NativeKernel = {
  addonFunction: 'bnScaleShift',
  configs({ addon, backendName, fallback }) {
    // relu 1: BN_SCALE_SHIFT_RELU (no kernel before it: ops/batch-norm.ts keeps zero-sized tensors away).
    const config = (kernelName: string, relu: 0 | 1): KernelConfig => {
      const old = fallback(kernelName);
      const kernelFunc: KernelFunc = (args) => {
        const b = args.backend as KernelBackend;
        const { x, scale, shift } = args.inputs as { x: TensorInfo; scale: TensorInfo; shift: TensorInfo };
        const { c, m } = channelRows(x);
        if (m === 0 || c === 0) return old(args);
        const out = allocateFloat32Outputs(b, [[...x.shape]]);
        const [xo, so, sho, yo] = operands(b, x, scale, shift, out.infos[0]!);
        addon.bnScaleShift(...xo!, ...so!, ...sho!, ...yo!, m, c, relu);
        return out.infos[0]!;
      };
      return { kernelName, backendName, kernelFunc };
    };
    return [config(BN_SCALE_SHIFT, 0), config(BN_SCALE_SHIFT_RELU, 1)];
  },
};
