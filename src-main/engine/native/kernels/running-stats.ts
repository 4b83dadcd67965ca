/** engine/ops/running-stats.ts's BatchNorm running-statistics update on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { RUNNING_STATS_UPDATE, type RunningStatsAttrs } from '../../ops/running-stats.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

export const runningStatsUpdateNative: NativeKernel = {
  addonFunction: 'runningStatsUpdate',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const inputs = args.inputs as Record<'mean' | 'variance' | 'batchMean' | 'batchVariance', TensorInfo>;
      const { keep, a, b } = args.attrs as unknown as RunningStatsAttrs;
      const n = inputs.mean.shape.reduce((p, d) => p * d, 1);
      for (const [k, t] of Object.entries(inputs)) {
        if (t.dtype !== 'float32' || t.shape.reduce((p, d) => p * d, 1) !== n) {
          throw new Error(`${RUNNING_STATS_UPDATE}: ${k} must be float32 with ${n} elements like the running mean, got ${t.dtype} ${JSON.stringify(t.shape)}`);
        }
      }
      const shape = [...inputs.mean.shape];
      const out = allocateFloat32Outputs(backend, [shape, shape]);
      if (n === 0) return out.infos;
      const [mo, vo, bmo, bvo, ...outs] = operands(backend, inputs.mean, inputs.variance, inputs.batchMean, inputs.batchVariance, ...out.infos);
      addon.runningStatsUpdate(...mo!, ...vo!, ...bmo!, ...bvo!, new Float32Array([keep, a, b]), 0, ...outs[0]!, ...outs[1]!, n);
      return out.infos;
    };
    return [{ kernelName: RUNNING_STATS_UPDATE, backendName, kernelFunc }];
  },
};
