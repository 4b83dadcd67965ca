/**
 * Conv2D and FusedConv2D on the addon's conv2dEx: a [Co] bias and ReLU applied to each output
 * row as it is written (evaluation's folded conv -> BatchNorm -> ReLU). NCHW, dilation, empty
 * or non-float32 inputs, PReLU, other activations and broadcast biases go to the replaced kernel.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, FusedConv2DAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { channelsLast, convArgs, isZeroSized, operands, optionalOperand, type NativeKernel } from '../kernel-support.ts';

export const conv2dNative: NativeKernel = {
  addonFunction: 'conv2dEx',
  configs({ addon, backendName, fallback }) {
    const nativeConv = (args: Parameters<KernelFunc>[0], old: KernelFunc, bias: TensorInfo | undefined, relu: boolean): ReturnType<KernelFunc> => {
      const b = args.backend as KernelBackend;
      const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
      const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs;
      const dil = typeof dilations === 'number' ? [dilations, dilations] : (dilations ?? [1, 1]);
      if (!channelsLast(dataFormat) || dil[0] !== 1 || dil[1] !== 1 || isZeroSized(x, filter) || x.dtype !== 'float32') return old(args);
      const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
      const out = allocateFloat32Outputs(b, [info.outShape]);
      if (info.outHeight < 1 || info.outWidth < 1) return out.infos[0]!; // empty output (XNNPACK loops forever on it)
      const [xo, fo, yo] = operands(b, x, filter, out.infos[0]!);
      addon.conv2dEx(...xo!, ...fo!, ...yo!, ...convArgs(info), relu ? 1 : 0, ...optionalOperand(b, bias), null, 0, null, 0, null, info.outChannels);
      return out.infos[0]!;
    };

    const conv2dOld = fallback('Conv2D');
    const fusedOld = fallback('FusedConv2D');
    const fusedConv2d: KernelFunc = (args) => {
      const { bias, preluActivationWeights } = args.inputs as { filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
      const { activation } = args.attrs as unknown as FusedConv2DAttrs;
      const co = (args.inputs as { filter: TensorInfo }).filter.shape[3]!;
      const plainBias = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === co);
      if (preluActivationWeights || !plainBias || (activation !== 'linear' && activation !== 'relu')) return fusedOld(args);
      return nativeConv(args, fusedOld, bias, activation === 'relu');
    };
    return [
      { kernelName: 'Conv2D', backendName, kernelFunc: (args) => nativeConv(args, conv2dOld, undefined, false) },
      { kernelName: 'FusedConv2D', backendName, kernelFunc: fusedConv2d },
    ];
  },
};
