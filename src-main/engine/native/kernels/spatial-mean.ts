/**
 * TF.js's `Mean` over a run of consecutive middle axes of a float32 tensor (a ResNet's global
 * average pool, [N,H,W,C] over [1,2]) on the addon: no transposed copy, the same bits as the wasm
 * kernel (src/kernels/spatial_mean.cc). Other axes, dtypes and empty tensors go to the replaced
 * kernel; `WORKBENCH_NATIVE_MEAN=0` (read per call) sends every call there, for A/B timing.
 */
import { util, type KernelBackend, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { operands, type NativeKernel } from '../kernel-support.ts';

/** [outer, mid, inner] when `axis` is one run of consecutive axes that leaves at least the last axis; else null. */
export function meanExtents(shape: readonly number[], axis: number | number[]): { outer: number; mid: number; inner: number } | null {
  const axes = util.parseAxisParam(axis, [...shape]).sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0]!;
  const last = axes.at(-1)!;
  if (last - first + 1 !== axes.length || last === shape.length - 1) return null;
  const product = (d: readonly number[]): number => d.reduce((p, v) => p * v, 1);
  return { outer: product(shape.slice(0, first)), mid: product(shape.slice(first, last + 1)), inner: product(shape.slice(last + 1)) };
}

export const spatialMeanNative: NativeKernel = {
  addonFunction: 'spatialMean',
  configs({ addon, backendName, fallback }) {
    const old = fallback('Mean');
    const kernelFunc: KernelFunc = (args) => {
      const backend = args.backend as KernelBackend;
      const { x } = args.inputs as { x: TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const extents = x.dtype === 'float32' && process.env.WORKBENCH_NATIVE_MEAN !== '0' ? meanExtents(x.shape, axis) : null;
      if (!extents || extents.outer * extents.mid * extents.inner === 0) return old(args);
      const reduced = new Set(util.parseAxisParam(axis, [...x.shape]));
      // keepDims: the reduced axes stay as 1s, as the wasm kernel reshapes its output
      const shape = keepDims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
      const out = allocateFloat32Outputs(backend, [shape]);
      const [xo, yo] = operands(backend, x, out.infos[0]!);
      addon.spatialMean(...xo!, ...yo!, extents.outer, extents.mid, extents.inner);
      return out.infos[0]!;
    };
    return [{ kernelName: 'Mean', backendName, kernelFunc }];
  },
};
