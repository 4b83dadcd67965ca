/**
 * Float32 Add, Multiply, Sub, Relu and the engine's ReLU gradient (EngineReluGrad) on the addon: same shapes, or one operand broadcast over a
 * middle block of the other's dimensions (InstanceNorm's [N,H,W,C] op [N,1,1,C], a bias's
 * [N,H,W,C] op [C]: single-threaded wasm kernels that were most of an SPGAN step's element-wise
 * time). Other broadcasts and dtypes go to the replaced kernel.
 */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { RELU_GRAD } from '../../kernels/relu-grad.ts';
import { operands, type NativeKernel, type NativeKernelContext } from '../kernel-support.ts';

/** The addon's op codes (src/elementwise.h); Sub with the broadcast operand first runs as 4 (reverse sub). */
const OPS = [
  ['Add', 0],
  ['Multiply', 1],
  ['Relu', 2],
  ['Sub', 3],
] as const;

/**
 * How `small` broadcasts against `full` (shapes aligned right, as TF's broadcasting):
 * small = full with the dimensions of one contiguous block set to 1, read as
 * full [outer, mid, inner] against small [outer, inner]; null for any other pattern.
 */
export function broadcastExtents(full: readonly number[], small: readonly number[]): { outer: number; mid: number; inner: number } | null {
  if (small.length > full.length) return null;
  const padded = [...Array<number>(full.length - small.length).fill(1), ...small];
  let first = -1;
  let last = -1;
  for (let i = 0; i < full.length; i++) {
    if (padded[i] === full[i]) continue;
    if (padded[i] !== 1) return null;
    if (first < 0) first = i;
    last = i;
  }
  const product = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);
  if (first < 0) return { outer: 1, mid: 1, inner: product(full) };
  // Dimensions of 1 inside the block may match either way; any other mismatch outside it breaks the pattern.
  for (let i = first; i <= last; i++) if (padded[i] !== 1) return null;
  return { outer: product(full.slice(0, first)), mid: product(full.slice(first, last + 1)), inner: product(full.slice(last + 1)) };
}

function elementwiseConfig({ addon, backendName, fallback }: NativeKernelContext, kernelName: string, op: 0 | 1 | 2 | 3): KernelConfig {
  const old = fallback(kernelName);
  const kernelFunc: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { a, x } = args.inputs as { a?: TensorInfo; b?: TensorInfo; x?: TensorInfo };
    const first = op === 2 ? x : a;
    const second = op === 2 ? x : (args.inputs as { b?: TensorInfo }).b;
    if (!first || !second || first.dtype !== 'float32' || second.dtype !== 'float32') return old(args);
    const size = (t: TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);
    // The full operand is the one with the output's shape; the other is read [outer, inner].
    const swap = size(second) > size(first);
    const [full, small] = swap ? [second, first] : [first, second];
    const extents = broadcastExtents(full.shape, small.shape);
    if (!extents) return old(args);
    const code = swap && op === 3 ? 4 : op;
    const out = allocateFloat32Outputs(b, [[...full.shape]]);
    if (size(full) === 0) return out.infos[0]!;
    const [fo, so, yo] = operands(b, full, small, out.infos[0]!);
    addon.elementwise(code, ...fo!, ...so!, ...yo!, extents.outer, extents.mid, extents.inner);
    return out.infos[0]!;
  };
  return { kernelName, backendName, kernelFunc };
}

/** The engine's ReLU gradient (kernels/relu-grad.ts, inputs dy and y = relu(x)) as op 5, same shapes only. */
function reluGradConfig({ addon, backendName, fallback }: NativeKernelContext): KernelConfig {
  const old = fallback(RELU_GRAD);
  const kernelFunc: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { dy, y } = args.inputs as { dy: TensorInfo; y: TensorInfo };
    const same = dy.shape.length === y.shape.length && dy.shape.every((d, i) => d === y.shape[i]);
    if (!same || dy.dtype !== 'float32' || y.dtype !== 'float32') return old(args);
    const out = allocateFloat32Outputs(b, [[...y.shape]]);
    const count = y.shape.reduce((p, d) => p * d, 1);
    if (count === 0) return out.infos[0]!;
    const [go, vo, oo] = operands(b, dy, y, out.infos[0]!);
    addon.elementwise(5, ...go!, ...vo!, ...oo!, 1, 1, count);
    return out.infos[0]!;
  };
  return { kernelName: RELU_GRAD, backendName, kernelFunc };
}

export const elementwiseNative: NativeKernel = {
  addonFunction: 'elementwise',
  configs: (context) => [...OPS.map(([name, op]) => elementwiseConfig(context, name, op)), reluGradConfig(context)],
};
