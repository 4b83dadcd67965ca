import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelBackend, Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withKernelScope } from './kernel-utils.ts';

/**
 * Conv2DBackpropFilter as one forward convolution (the wasm backend has no
 * such kernel; the cpu one is ~1000x slower than XNNPACK's conv).
 *
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} x_pad[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co]
 *
 * is a conv2d whose "batch" is ci and whose "channels" are n: input
 * x^T [ci,H,W,n] (padded like the forward conv), filter dy^T [OH,OW,n,co],
 * dilation = the forward stride, stride 1, 'valid'. Its output [ci,KH',KW',co]
 * starts with the KH x KW values we need.
 */
export function conv2dBackpropFilterKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
      throw new Error(`engine: Conv2DBackpropFilter supports only NHWC, got dataFormat '${dataFormat}'`);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
    const [, h, w] = x.shape as [number, number, number, number];
    const { top, left } = info.padInfo;
    // Pad the far side so the 'valid' dilated conv yields exactly kh x kw outputs;
    // when the forward conv ignored trailing rows/cols this is negative and we
    // crop the output instead.
    const bottom = kh + (oh - 1) * sh - h - top;
    const right = kw + (ow - 1) * sw - w - left;
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      const xT = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [N,H,W,Ci] -> [Ci,H,W,N]
      const dyT = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [N,OH,OW,Co] -> [OH,OW,N,Co]
      const explicitPad = [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ] as backend_util.ExplicitPadding;
      let dw = s.run(
        'Conv2D',
        { x: xT, filter: dyT },
        { strides: [1, 1], pad: explicitPad, dilations: [sh, sw], dataFormat: 'NHWC' },
      ); // [Ci,KH',KW',Co]
      if (bottom < 0 || right < 0) {
        dw = s.run('Slice', { x: dw }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] }); // [Ci,KH',KW',Co] -> [Ci,KH,KW,Co]
      }
      return s.run('Transpose', { x: dw }, { perm: [1, 2, 0, 3] }); // [Ci,KH,KW,Co] -> [KH,KW,Ci,Co]
    });
  };
  return { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc };
}
