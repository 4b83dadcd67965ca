/** Conv2DBackpropInput on the addon (NHWC; NCHW and empty inputs go to the replaced kernel). */
import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import type { Operand } from '../addon.ts';
import { channelsLast, convArgs, isZeroSized, operands, zeros, type NativeKernel } from '../kernel-support.ts';

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
    return [{ kernelName: 'Conv2DBackpropInput', backendName, kernelFunc }];
  },
};
