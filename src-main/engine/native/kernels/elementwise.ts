/** Same-shape float32 Add, Multiply and Relu on the addon; broadcasting and other dtypes go to the replaced kernel. */
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs } from '../../kernels/kernel-utils.ts';
import { operands, type NativeKernel, type NativeKernelContext } from '../kernel-support.ts';

/** The addon's op codes (src/elementwise.h). */
const OPS = [
  ['Add', 0],
  ['Multiply', 1],
  ['Relu', 2],
] as const;

function elementwiseConfig({ addon, backendName, fallback }: NativeKernelContext, kernelName: string, op: 0 | 1 | 2): KernelConfig {
  const old = fallback(kernelName);
  const kernelFunc: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { a, x } = args.inputs as { a?: TensorInfo; b?: TensorInfo; x?: TensorInfo };
    const first = op === 2 ? x : a;
    const second = op === 2 ? x : (args.inputs as { b?: TensorInfo }).b;
    if (!first || !second || first.dtype !== 'float32' || second.dtype !== 'float32') return old(args);
    if (first.shape.length !== second.shape.length || first.shape.some((d, i) => d !== second.shape[i])) return old(args);
    const count = first.shape.reduce((p, d) => p * d, 1);
    const out = allocateFloat32Outputs(b, [[...first.shape]]);
    if (count === 0) return out.infos[0]!;
    const [ao, bo, yo] = operands(b, first, second, out.infos[0]!);
    addon.elementwise(op, ...ao!, ...bo!, ...yo!, count);
    return out.infos[0]!;
  };
  return { kernelName, backendName, kernelFunc };
}

export const elementwiseNative: NativeKernel = {
  addonFunction: 'elementwise',
  configs: (context) => OPS.map(([name, op]) => elementwiseConfig(context, name, op)),
};
