/** The engine's BatchNorm moments kernel (engine/kernels/batch-norm-kernels.ts) on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_MOMENTS } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, type NativeKernel } from '../kernel-support.ts';

export const batchNormMomentsNative: NativeKernel = {
  addonFunction: 'bnMoments',
  configs({ addon, backendName, fallback }) {
    const old = fallback(BN_MOMENTS);
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { x } = args.inputs as { x: TensorInfo };
      const { c, m } = channelRows(x);
      if (m === 0 || c === 0) return old(args);
      const out = allocateFloat32Outputs(b, [[c], [c]]);
      const [xo, mean, variance] = operands(b, x, ...out.infos);
      addon.bnMoments(...xo!, ...mean!, ...variance!, m, c);
      return out.infos;
    };
    return [{ kernelName: BN_MOMENTS, backendName, kernelFunc }];
  },
};
