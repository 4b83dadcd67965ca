/** The engine's BatchNorm scale-and-shift kernel (engine/kernels/batch-norm-kernels.ts) on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_SCALE_SHIFT } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, type NativeKernel } from '../kernel-support.ts';

export const batchNormScaleShiftNative: NativeKernel = {
  addonFunction: 'bnScaleShift',
  configs({ addon, backendName, fallback }) {
    const old = fallback(BN_SCALE_SHIFT);
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { x, scale, shift } = args.inputs as { x: TensorInfo; scale: TensorInfo; shift: TensorInfo };
      const { c, m } = channelRows(x);
      if (m === 0 || c === 0) return old(args);
      const out = allocateFloat32Outputs(b, [[...x.shape]]);
      const [xo, so, sho, yo] = operands(b, x, scale, shift, out.infos[0]!);
      addon.bnScaleShift(...xo!, ...so!, ...sho!, ...yo!, m, c);
      return out.infos[0]!;
    };
    return [{ kernelName: BN_SCALE_SHIFT, backendName, kernelFunc }];
  },
};
