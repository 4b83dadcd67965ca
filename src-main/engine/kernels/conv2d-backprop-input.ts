import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelBackend, Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withKernelScope } from './kernel-utils.ts';

/**
 * Conv2DBackpropInput (also the forward pass of conv2dTranspose) as one
 * forward convolution, which XNNPACK runs ~8x faster than the wasm backend's
 * own backprop-input loop:
 *
 *   dx = conv2d(dilate(dy, s), reverse(W, kh,kw) with ci/co swapped, stride 1)
 *
 * with the padding chosen so that output pixel h sees dy at rows
 * (h + top - kh) / s. For stride s > 1, dy is first spread out with s-1 zeros
 * between pixels (a reshape + pad + reshape, all XNNPACK).
 */
export function conv2dBackpropInputKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
      throw new Error(`engine: Conv2DBackpropInput supports only NHWC, got dataFormat '${dataFormat}'`);
    }
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
    const [n, h, w] = inputShape;
    const co = dy.shape[3];
    const { top, left } = info.padInfo;
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      let spread = dy;
      // Rows of the (spread) dy; stride s leaves s-1 zero rows after each real one.
      let rows = oh;
      let cols = ow;
      if (sh > 1 || sw > 1) {
        const dy6 = s.reshape(dy, [n, oh, 1, ow, 1, co]); // [N,OH,OW,Co] -> [N,OH,1,OW,1,Co]
        const padded = s.run(
          'PadV2',
          { x: dy6 },
          { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 },
        ); // -> [N,OH,sh,OW,sw,Co]
        rows = oh * sh;
        cols = ow * sw;
        spread = s.reshape(padded, [n, rows, cols, co]); // -> [N,OH*sh,OW*sw,Co]
      }
      // Padding of the spread dy so that a stride-1 'valid' conv gives H x W.
      let padTop = kh - 1 - top;
      let padBottom = h + kh - 1 - rows - padTop;
      let padLeft = kw - 1 - left;
      let padRight = w + kw - 1 - cols - padLeft;
      if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
        // Rows that no output pixel sees (padding wider than the kernel, or
        // the zero rows of the spread): crop them instead of padding negatively.
        const cropTop = Math.max(0, -padTop);
        const cropLeft = Math.max(0, -padLeft);
        const keepRows = rows - cropTop - Math.max(0, -padBottom);
        const keepCols = cols - cropLeft - Math.max(0, -padRight);
        spread = s.run('Slice', { x: spread }, { begin: [0, cropTop, cropLeft, 0], size: [n, keepRows, keepCols, co] });
        padTop = Math.max(0, padTop);
        padBottom = Math.max(0, padBottom);
        padLeft = Math.max(0, padLeft);
        padRight = Math.max(0, padRight);
      }
      const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] }); // [KH,KW,Ci,Co], spatially flipped
      const wT = s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [KH,KW,Ci,Co] -> [KH,KW,Co,Ci]
      const explicitPad = [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ] as backend_util.ExplicitPadding;
      return s.run('Conv2D', { x: spread, filter: wT }, { strides: [1, 1], pad: explicitPad, dilations: [1, 1], dataFormat: 'NHWC' }); // [N,H,W,Ci]
    });
  };
  return { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc };
}
