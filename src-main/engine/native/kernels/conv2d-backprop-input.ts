/**
 * Conv2DBackpropInput on the addon (NHWC; NCHW and empty inputs go to the replaced kernel), and
 * the same plus an `addend` of the input's shape (ops/backprop-input-add.ts; addon only).
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { BACKPROP_INPUT_ADD } from '../../ops/backprop-input-add.ts';
import type { Operand } from '../addon.ts';
import { channelsLast, convArgs, isZeroSized, operands, optionalOperand, zeros, type NativeKernel } from '../kernel-support.ts';

export const conv2dBackpropInputNative: NativeKernel = {
  addonFunction: 'conv2dBackpropInput',
  configs({ addon, backendName, fallback }) {
    const old = fallback('Conv2DBackpropInput');
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
      if (!channelsLast(dataFormat) || isZeroSized(filter) || inputShape.some((d) => d === 0)) return old(args);
      const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
      const out = allocateFloat32Outputs(b, [[...inputShape]]);
      if (isZeroSized(dy)) return zeros(out);
      addon.conv2dBackpropInput(...(operands(b, dy, filter, out.infos[0]!).flat() as [...Operand, ...Operand, ...Operand]), ...convArgs(info));
      return out.infos[0]!;
    };
    const withAddend: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { dy, filter, addend } = args.inputs as { dy: TensorInfo; filter: TensorInfo; addend: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
      if (!channelsLast(dataFormat) || addend?.dtype !== 'float32' || addend.shape.join() !== inputShape.join())
        throw new Error(`${BACKPROP_INPUT_ADD}: NHWC only, with a float32 addend of the input's shape ${JSON.stringify(inputShape)} (got ${JSON.stringify(addend?.shape)})`);
      if (isZeroSized(filter) || isZeroSized(dy) || inputShape.some((d) => d === 0)) throw new Error(`${BACKPROP_INPUT_ADD}: empty tensors are not supported`);
      const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
      const out = allocateFloat32Outputs(b, [[...inputShape]]);
      const ops = operands(b, dy, filter, out.infos[0]!).flat() as [...Operand, ...Operand, ...Operand];
      addon.conv2dBackpropInput(...ops, ...convArgs(info), ...optionalOperand(b, addend));
      return out.infos[0]!;
    };
    return [
      { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc },
      { kernelName: BACKPROP_INPUT_ADD, backendName, kernelFunc: withAddend },
    ];
  },
};
