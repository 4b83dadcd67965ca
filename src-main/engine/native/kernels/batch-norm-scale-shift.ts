/**
 * The engine's BatchNorm scale-and-shift kernel (engine/kernels/batch-norm-kernels.ts) on the addon, the same followed
 * by ReLU in one pass, and followed by a residual add and ReLU in one pass (a ResNet block's end).
 */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_SCALE_SHIFT, BN_SCALE_SHIFT_ADD_RELU, BN_SCALE_SHIFT_RELU } from '../../kernels/batch-norm-kernels.ts';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelRows, operands, optionalOperand, type NativeKernel } from '../kernel-support.ts';

export const batchNormScaleShiftNative: NativeKernel = {
  addonFunction: 'bnScaleShift',
  configs({ addon, backendName, fallback }) {
    // relu 1: BN_SCALE_SHIFT_RELU (no kernel before it: ops/batch-norm.ts keeps zero-sized tensors away).
    // BN_SCALE_SHIFT_ADD_RELU: relu 1 with the `residual` input (ops/batch-norm.ts checks its shape).
    const config = (kernelName: string, relu: 0 | 1, withResidual = false): KernelConfig => {
      const old = fallback(kernelName);
      const kernelFunc: KernelFunc = (args) => {
        const b = args.backend as KernelBackend;
        const { x, scale, shift, residual } = args.inputs as { x: TensorInfo; scale: TensorInfo; shift: TensorInfo; residual?: TensorInfo };
        const { c, m } = channelRows(x);
        if (m === 0 || c === 0) return old(args);
        if (withResidual && (!residual || residual.shape.join() !== x.shape.join()))
          throw new Error(`${kernelName}: residual ${JSON.stringify(residual?.shape)} must have x's shape ${JSON.stringify(x.shape)}`);
        const out = allocateFloat32Outputs(b, [[...x.shape]]);
        const [xo, so, sho, yo] = operands(b, x, scale, shift, out.infos[0]!);
        if (withResidual) addon.bnScaleShift(...xo!, ...so!, ...sho!, ...yo!, m, c, relu, ...optionalOperand(b, residual));
        else addon.bnScaleShift(...xo!, ...so!, ...sho!, ...yo!, m, c, relu);
        return out.infos[0]!;
      };
      return { kernelName, backendName, kernelFunc };
    };
    return [config(BN_SCALE_SHIFT, 0), config(BN_SCALE_SHIFT_RELU, 1), config(BN_SCALE_SHIFT_ADD_RELU, 1, true)];
  },
};
