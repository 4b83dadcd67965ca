/** Conv2DBackpropFilter on the addon (NHWC; NCHW and empty inputs go to the replaced kernel). */
import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import type { Operand } from '../addon.ts';
import { channelsLast, convArgs, isZeroSized, operands, zeros, type NativeKernel } from '../kernel-support.ts';

export const conv2dBackpropFilterNative: NativeKernel = {
  addonFunction: 'conv2dBackpropFilter',
  configs({ addon, backendName, fallback }) {
    const old = fallback('Conv2DBackpropFilter');
    const kernelFunc: KernelFunc = (args) => {
      const b = args.backend as KernelBackend;
      const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs;
      if (!channelsLast(dataFormat) || isZeroSized(x)) return old(args);
      const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      const out = allocateFloat32Outputs(b, [[...filterShape]]);
      if (isZeroSized(dy)) return zeros(out);
      addon.conv2dBackpropFilter(...(operands(b, x, dy, out.infos[0]!).flat() as [...Operand, ...Operand, ...Operand]), ...convArgs(info));
      return out.infos[0]!;
    };
    return [{ kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc }];
  },
};
