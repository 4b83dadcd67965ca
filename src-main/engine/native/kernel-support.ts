/** What the TF.js wrappers of the native kernels (kernels/) share: operands, shapes, fallbacks. */
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { float32Operands } from '../kernels/kernel-utils.ts';
import type { AddonKernelName, ConvShapeArgs, NativeAddon, Operand, OptionalOperand } from './addon.ts';

/** What a wrapper is built with: the addon, the backend it registers for, and the kernels it replaces. */
export interface NativeKernelContext {
  addon: NativeAddon;
  backendName: string;
  /** The kernel registered before under `name`, for what the addon does not cover (NCHW, dilation, empty tensors). */
  fallback(name: string): KernelFunc;
}

/** One entry of the registry (kernels/index.ts): the addon function it calls and the TF.js kernels it provides. */
export interface NativeKernel {
  addonFunction: AddonKernelName;
  configs(context: NativeKernelContext): KernelConfig[];
}

export function operands(backend: KernelBackend, ...infos: TensorInfo[]): Operand[] {
  return float32Operands(backend, ...infos).map(({ array, offset }) => [array, offset] as Operand);
}

export function optionalOperand(backend: KernelBackend, t: TensorInfo | undefined): OptionalOperand {
  return t ? operands(backend, t)[0]! : [null, 0];
}

export function isZeroSized(...infos: TensorInfo[]): boolean {
  return infos.some((t) => t.shape.some((d) => d === 0));
}

/** The gradient through a conv with an empty output: zeros (wasm heap memory starts uninitialised). */
export function zeros(out: { infos: TensorInfo[]; views: () => Float32Array[] }): TensorInfo {
  out.views()[0]!.fill(0);
  return out.infos[0]!;
}

export function channelsLast(dataFormat: string): boolean {
  return backend_util.convertConv2DDataFormat(dataFormat as 'NHWC' | 'NCHW') === 'channelsLast';
}

export function convArgs(info: backend_util.Conv2DInfo): ConvShapeArgs {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** x seen as [m, c] rows (channels last). */
export function channelRows(x: TensorInfo): { c: number; m: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { c, m: c === 0 ? 0 : x.shape.reduce((p, d) => p * d, 1) / c };
}
