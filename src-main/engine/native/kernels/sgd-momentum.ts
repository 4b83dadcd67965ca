/** engine/ops/sgd-momentum.ts's per-variable SGD-with-momentum update on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { SGD_MOMENTUM_UPDATE, type SgdMomentumAttrs } from '../../ops/sgd-momentum.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

export const sgdMomentumUpdateNative: NativeKernel = {
  addonFunction: 'sgdMomentumUpdate',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const inputs = args.inputs as Record<'value' | 'buffer' | 'gradient', TensorInfo>;
      const { lr, momentum, weightDecay, nesterov, first } = args.attrs as unknown as SgdMomentumAttrs;
      const n = inputs.value.shape.reduce((p, d) => p * d, 1);
      for (const [k, t] of Object.entries(inputs)) {
        if (t.dtype !== 'float32' || t.shape.reduce((p, d) => p * d, 1) !== n) {
          throw new Error(`${SGD_MOMENTUM_UPDATE}: ${k} must be float32 with ${n} elements like the variable, got ${t.dtype} ${JSON.stringify(t.shape)}`);
        }
      }
      if (!(momentum > 0)) throw new Error(`${SGD_MOMENTUM_UPDATE}: momentum must be positive, got ${momentum}`);
      const shape = [...inputs.value.shape];
      const out = allocateFloat32Outputs(backend, [shape, shape]);
      if (n === 0) return out.infos;
      const [vo, bo, go, ...outs] = operands(backend, inputs.value, inputs.buffer, inputs.gradient, ...out.infos);
      const params = new Float32Array([lr, momentum, weightDecay, nesterov ? 1 : 0, first ? 1 : 0]);
      addon.sgdMomentumUpdate(...vo!, ...bo!, ...go!, params, 0, ...outs[0]!, ...outs[1]!, n);
      return out.infos;
    };
    return [{ kernelName: SGD_MOMENTUM_UPDATE, backendName, kernelFunc }];
  },
};
