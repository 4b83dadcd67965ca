/**
 * engine/ops/conv-tail.ts's kernel on the addon's conv2dEx: conv + bias + constant-input map +
 * scatter + residual + ReLU in one pass. The op only calls it with the exact shapes it needs
 * (checked there and again here). The op is evaluation's (nn/forward.ts' folded convs), so it
 * passes inference = 1: 3x3 stride-1 convs may run as Winograd (src/winograd.h).
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { CONV_TAIL, type ConvTailAttrs } from '../../ops/conv-tail.ts';
import { convArgs, isZeroSized, operands, optionalOperand, type NativeKernel } from '../kernel-support.ts';

export const convTailNative: NativeKernel = {
  addonFunction: 'conv2dEx',
  configs({ addon, backendName }) {
    // The op passes the same indices array on every call of a layer: converted once.
    const scatterArrays = new WeakMap<number[], Int32Array>();
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { x, filter, bias, addMap, residual } = args.inputs as Record<'x' | 'filter', TensorInfo> & Partial<Record<'bias' | 'addMap' | 'residual', TensorInfo>>;
      const { strides, pad, relu, indices, channels } = args.attrs as unknown as ConvTailAttrs;
      const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad);
      const shape = [info.batchSize, info.outHeight, info.outWidth, channels];
      const out = allocateFloat32Outputs(b, [shape]);
      if (shape.some((d) => d === 0)) return out.infos[0]!;
      if (isZeroSized(x, filter)) throw new Error(`engine: ${CONV_TAIL} got an empty input or filter`);
      let scatter: Int32Array | null = null;
      if (indices) {
        scatter = scatterArrays.get(indices) ?? null;
        if (!scatter) scatterArrays.set(indices, (scatter = Int32Array.from(indices)));
      }
      const [xo, fo, yo] = operands(b, x, filter, out.infos[0]!);
      addon.conv2dEx(...xo!, ...fo!, ...yo!, ...convArgs(info), relu ? 1 : 0, ...optionalOperand(b, bias), ...optionalOperand(b, addMap), ...optionalOperand(b, residual), scatter, channels, 1);
      return out.infos[0]!;
    };
    return [{ kernelName: CONV_TAIL, backendName, kernelFunc }];
  },
};
