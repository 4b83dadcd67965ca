import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withKernelScope, type KernelScope } from './kernel-utils.ts';

/**
 * Conv2DBackpropInput (also the forward pass of conv2dTranspose) as forward
 * convolutions, which XNNPACK runs ~8x faster than the wasm backend's own
 * backprop-input loop.
 *
 * Forward: y[oh] = sum_kh x[oh*s + kh - top] * w[kh]   (per axis; channels contract)
 * so       dx[h] = sum over (oh, kh) with oh*s + kh - top = h of dy[oh] * w[kh].
 *
 * Stride 1: dx = conv2d(dy, w flipped in kh,kw with ci/co swapped), padded
 * so that output h sees dy rows h + top - kh.
 *
 * Stride s > 1, by phases (sub-pixel convolution): rows h with
 * (h + top) mod s = r only meet the taps kh = r + s*t, so with u = (h + top - r)/s
 *   dx[h] = sum_t dy[u - t] * w[r + s*t],
 * a stride-1 convolution of dy with the sub-filter w[r::s] (flipped). The s*s
 * phase results are interleaved back (concat + reshape + transpose). This does
 * the forward conv's arithmetic once, where convolving a zero-dilated dy would
 * do it s*s times (most of it multiplying zeros): it matters for the GAN's
 * 4x4 stride-2 transposed convolutions and the ResNets' stride-2 layers.
 */

interface AxisPlan {
  /** First phase-grid index u computed, and how many. */
  u0: number;
  count: number;
}

/** The u-range covering every x row: h = s*u + r - top for r in [0,s). */
function axisPlan(size: number, stride: number, top: number): AxisPlan {
  const u0 = Math.ceil((top - stride + 1) / stride);
  const u1 = Math.floor((size - 1 + top) / stride);
  return { u0, count: u1 - u0 + 1 };
}

/**
 * Correlates dy (spatial rows [0, dyRows)) with a flipped sub-filter of taps
 * (th, tw) so that output row o corresponds to phase-grid u = u0 + o:
 * output o reads dy rows o + u0 - (t-1) ... o + u0. Pads with zeros, or crops
 * dy where the window starts inside it.
 */
function correlate(
  s: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  taps: [number, number],
  start: [number, number],
  count: [number, number],
): TensorInfo {
  const [, rows, cols, co] = dy.shape as [number, number, number, number];
  let padTop = taps[0] - 1 - start[0];
  let padBottom = count[0] + taps[0] - 1 - rows - padTop;
  let padLeft = taps[1] - 1 - start[1];
  let padRight = count[1] + taps[1] - 1 - cols - padLeft;
  let input = dy;
  if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
    // Rows that no output reads (padding wider than the kernel, or a phase
    // grid starting inside dy): crop them instead of padding negatively.
    const cropTop = Math.max(0, -padTop);
    const cropLeft = Math.max(0, -padLeft);
    const keepRows = rows - cropTop - Math.max(0, -padBottom);
    const keepCols = cols - cropLeft - Math.max(0, -padRight);
    input = s.run('Slice', { x: dy }, { begin: [0, cropTop, cropLeft, 0], size: [dy.shape[0]!, keepRows, keepCols, co] });
    padTop = Math.max(0, padTop);
    padBottom = Math.max(0, padBottom);
    padLeft = Math.max(0, padLeft);
    padRight = Math.max(0, padRight);
  }
  const explicitPad = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ] as backend_util.ExplicitPadding;
  return s.run('Conv2D', { x: input, filter }, { strides: [1, 1], pad: explicitPad, dilations: [1, 1], dataFormat: 'NHWC' });
}

/** w[r::s] flipped in kh,kw, with in/out channels swapped: [KH,KW,Ci,Co] -> [T_h,T_w,Co,Ci]. */
function subFilter(s: KernelScope, filter: TensorInfo, r: [number, number], stride: [number, number]): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  let taps = filter;
  if (stride[0] > 1 || stride[1] > 1) {
    taps = s.run(
      'StridedSlice',
      { x: filter },
      { begin: [r[0], r[1], 0, 0], end: [kh, kw, ci, co], strides: [stride[0], stride[1], 1, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
    ); // [KH,KW,Ci,Co] -> [T_h,T_w,Ci,Co]
  }
  const flipped = s.run('Reverse', { x: taps }, { dims: [0, 1] });
  return s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [T_h,T_w,Ci,Co] -> [T_h,T_w,Co,Ci]
}

export function conv2dBackpropInputKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
      throw new Error(`engine: Conv2DBackpropInput supports only NHWC, got dataFormat '${dataFormat}'`);
    }
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    const [n, h, w, ci] = inputShape;
    const { top, left } = info.padInfo;
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      const rowPlan = axisPlan(h, sh, top);
      const colPlan = axisPlan(w, sw, left);
      if (sh === 1 && sw === 1) {
        // One phase whose grid is exactly the x rows: u = h + top, u0 = top, count = H.
        return correlate(s, dy, subFilter(s, filter, [0, 0], [1, 1]), [kh, kw], [rowPlan.u0, colPlan.u0], [h, w]);
      }
      const phases: TensorInfo[] = [];
      for (let rh = 0; rh < sh; rh++) {
        for (let rw = 0; rw < sw; rw++) {
          const th = rh < kh ? Math.ceil((kh - rh) / sh) : 0;
          const tw = rw < kw ? Math.ceil((kw - rw) / sw) : 0;
          if (th === 0 || tw === 0) {
            // No tap reaches this phase (e.g. a 1x1 stride-2 conv): its rows of dx are zero.
            phases.push(s.run('Fill', {}, { shape: [n, rowPlan.count, colPlan.count, ci], value: 0, dtype: 'float32' }));
            continue;
          }
          const f = subFilter(s, filter, [rh, rw], [sh, sw]);
          phases.push(correlate(s, dy, f, [th, tw], [rowPlan.u0, colPlan.u0], [rowPlan.count, colPlan.count])); // [N,U,V,Ci]
        }
      }
      const u = rowPlan.count;
      const v = colPlan.count;
      const stacked = s.run('Concat', phases as unknown as Record<string, TensorInfo>, { axis: 3 }); // [N,U,V,(rh,rw,Ci)]
      const grouped = s.reshape(stacked, [n * u, v, sh, sw * ci]); // -> [N*U,V,sh,sw*Ci]
      const interleaved = s.run('Transpose', { x: grouped }, { perm: [0, 2, 1, 3] }); // -> [N*U,sh,V,sw*Ci]
      const grid = s.reshape(interleaved, [n, u * sh, v * sw, ci]); // -> [N,U*sh,V*sw,Ci], row = (u-u0)*sh + rh
      // Grid row (u-u0)*s + r holds x row s*u + r - top: x row h is grid row h + top - s*u0.
      return s.run('Slice', { x: grid }, { begin: [0, top - sh * rowPlan.u0, left - sw * colPlan.u0, 0], size: [n, h, w, ci] }); // -> [N,H,W,Ci]
    });
  };
  return { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc };
}
