/** engine/ops/adam.ts's per-variable Adam update on the addon. */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { ADAM_UPDATE } from '../../ops/adam.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

export const adamUpdateNative: NativeKernel = {
  addonFunction: 'adamUpdate',
  configs({ addon, backendName }) {
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const inputs = args.inputs as Record<'value' | 'm' | 'v' | 'gradient', TensorInfo>;
      const { params } = args.attrs as { params: number[] };
      const n = inputs.value.shape.reduce((p, d) => p * d, 1);
      for (const [k, t] of Object.entries(inputs)) {
        if (t.dtype !== 'float32' || t.shape.reduce((p, d) => p * d, 1) !== n) throw new Error(`${ADAM_UPDATE}: ${k} must be float32 with ${n} elements like the variable, got ${t.dtype} ${JSON.stringify(t.shape)}`);
      }
      if (params.length !== 8) throw new Error(`${ADAM_UPDATE}: params must hold 8 values, got ${params.length}`);
      const shape = [...inputs.value.shape];
      const out = allocateFloat32Outputs(backend, [shape, shape, shape]);
      if (n === 0) return out.infos;
      const [vo, mo, so, go, ...outs] = operands(backend, inputs.value, inputs.m, inputs.v, inputs.gradient, ...out.infos);
      addon.adamUpdate(...vo!, ...mo!, ...so!, ...go!, new Float32Array(params), 0, ...outs[0]!, ...outs[1]!, ...outs[2]!, n);
      return out.infos;
    };
    return [{ kernelName: ADAM_UPDATE, backendName, kernelFunc }];
  },
};
