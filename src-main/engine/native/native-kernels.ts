/**
 * Native CPU kernels (C++ N-API addon in this folder, built at install by
 * resources/bin/build-native.mjs) registered into the wasm backend.
 *
 * Why an addon: on x86-64 the wasm kernels are capped by 128-bit SIMD,
 * XNNPACK re-packing a filter on every call (backprop-filter packs dy as a
 * filter), transposes around each backprop and single-threaded JS loops for
 * BatchNorm. The addon runs AVX-512/AVX2 GEMM microkernels (chosen at run
 * time, portable fallback elsewhere) on a small thread pool, reading and
 * writing the wasm heap in place: each tensor is passed as (heap view,
 * element offset), outputs are allocated with the backend's makeOutput first.
 *
 * Optional by design: when the addon is missing (no compiler at install) or
 * WORKBENCH_NATIVE=0, the engine owner's wasm kernels stay registered.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  FusedConv2DAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { allocateFloat32Outputs, float32Operands } from '../kernels/kernel-utils.ts';
import { BN_GRAD, BN_MOMENTS, BN_SCALE_SHIFT } from '../kernels/batch-norm-kernels.ts';
import { CONV_TAIL, type ConvTailAttrs } from '../ops/conv-tail.ts';

/** A tensor as the addon takes it: an array and the element index where the tensor starts. */
type Operand = [Float32Array, number];
type OptionalOperand = Operand | [null, 0];

/** Conv shape after the operands: n, h, w, ci, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft. */
type ConvShapeArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number];

export interface NativeAddon {
  /** conv2d with the epilogue of engine/ops/conv-tail.ts; null operands are absent, channels = y's row width. */
  conv2dEx(
    ...args: [...Operand, ...Operand, ...Operand, ...ConvShapeArgs, relu: number, ...OptionalOperand, ...OptionalOperand, ...OptionalOperand, scatter: Int32Array | null, channels: number]
  ): void;
  conv2dBackpropFilter(...args: [...Operand, ...Operand, ...Operand, ...ConvShapeArgs]): void;
  conv2dBackpropInput(...args: [...Operand, ...Operand, ...Operand, ...ConvShapeArgs]): void;
  bnMoments(...args: [...Operand, ...Operand, ...Operand, m: number, c: number]): void;
  bnScaleShift(...args: [...Operand, ...Operand, ...Operand, ...Operand, m: number, c: number]): void;
  bnGrad(...args: [...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, m: number, c: number]): void;
  /** op 0: y = a + b, 1: y = a * b, 2: y = relu(a) (b unused) over `count` elements. */
  elementwise(op: 0 | 1 | 2, ...args: [...Operand, ...Operand, ...Operand, count: number]): void;
  setThreads(threads: number): void;
  info(): { isa: string; threads: number; microkernelRows: number };
}

const ADDON_FILE = path.join('build', 'Release', 'workbench_native.node');

let loaded: { addon: NativeAddon | null; reason: string } | null = null;

function candidatePaths(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const fromSource = path.join('src-main', 'engine', 'native', ADDON_FILE);
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  return [
    process.env.WORKBENCH_NATIVE_ADDON,
    path.join(here, ADDON_FILE), // running from source (tsx, vitest)
    path.resolve(here, '..', '..', fromSource), // bundled into out/main/
    path.resolve(here, '..', '..', '..', fromSource), // bundled into out/main/chunks/
    resources ? path.join(resources, 'app.asar.unpacked', fromSource) : undefined, // packaged app
    path.resolve(fromSource),
  ].filter((p): p is string => Boolean(p));
}

/** Loads the addon once; null (never a throw) when it is absent or fails to load, see nativeAddonReason(). */
export function loadNativeAddon(): NativeAddon | null {
  if (loaded) return loaded.addon;
  const file = candidatePaths().find((p) => existsSync(p));
  if (!file) {
    // build-native.mjs leaves the compiler's complaint next to where the addon would be.
    const errorFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build', 'build-error.txt');
    const why = existsSync(errorFile) ? `: ${readFileSync(errorFile, 'utf8').trim()}` : '';
    loaded = { addon: null, reason: `native kernels: ${ADDON_FILE} not built (npm run build:native)${why}` };
    return null;
  }
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    addon.info();
    loaded = { addon, reason: '' };
  } catch (error) {
    loaded = { addon: null, reason: `native kernels: ${file} failed to load: ${String((error as Error)?.message ?? error).split('\n')[0]}` };
  }
  return loaded.addon;
}

/** Why loadNativeAddon() returned null, in one line ('' when it loaded). */
export function nativeAddonReason(): string {
  loadNativeAddon();
  return loaded!.reason;
}

function operands(backend: KernelBackend, ...infos: TensorInfo[]): Operand[] {
  return float32Operands(backend, ...infos).map(({ array, offset }) => [array, offset] as Operand);
}

function isZeroSized(...infos: TensorInfo[]): boolean {
  return infos.some((t) => t.shape.some((d) => d === 0));
}

/** The gradient through a conv with an empty output: zeros (wasm heap memory starts uninitialised). */
function zeros(out: { infos: TensorInfo[]; views: () => Float32Array[] }): TensorInfo {
  out.views()[0]!.fill(0);
  return out.infos[0]!;
}

function convArgs(info: backend_util.Conv2DInfo): ConvShapeArgs {
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

/**
 * Native kernel configs for `backendName`; `previous` is the kernel each one
 * replaces (used for what the addon does not cover: NCHW, dilation, empty tensors).
 */
export function nativeKernelConfigs(addon: NativeAddon, backendName: string, previous: (name: string) => KernelFunc | undefined): KernelConfig[] {
  const fallback = (name: string): KernelFunc => {
    const f = previous(name);
    return (
      f ??
      (() => {
        throw new Error(`engine: native ${name} cannot handle these arguments and no other kernel is registered`);
      })
    );
  };
  const channelsLast = (dataFormat: string): boolean => backend_util.convertConv2DDataFormat(dataFormat as 'NHWC' | 'NCHW') === 'channelsLast';

  const optional = (b: KernelBackend, t: TensorInfo | undefined): OptionalOperand => (t ? operands(b, t)[0]! : [null, 0]);

  /**
   * Conv2D and FusedConv2D: the native conv, with a [Co] bias and ReLU applied to each output
   * row as it is written (evaluation's folded conv -> BatchNorm -> ReLU). NCHW, dilation,
   * empty or non-float32 inputs go to `old`, the kernel replaced.
   */
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
    addon.conv2dEx(...xo!, ...fo!, ...yo!, ...convArgs(info), relu ? 1 : 0, ...optional(b, bias), null, 0, null, 0, null, info.outChannels);
    return out.infos[0]!;
  };

  const conv2dOld = fallback('Conv2D');
  const conv2d: KernelFunc = (args) => nativeConv(args, conv2dOld, undefined, false);

  // Prelu, other activations and broadcast biases go to the replaced kernel.
  const fusedOld = fallback('FusedConv2D');
  const fusedConv2d: KernelFunc = (args) => {
    const { bias, preluActivationWeights } = args.inputs as { filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const { activation } = args.attrs as unknown as FusedConv2DAttrs;
    const co = (args.inputs as { filter: TensorInfo }).filter.shape[3]!;
    const plainBias = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === co);
    if (preluActivationWeights || !plainBias || (activation !== 'linear' && activation !== 'relu')) return fusedOld(args);
    return nativeConv(args, fusedOld, bias, activation === 'relu');
  };

  // engine/ops/conv-tail.ts: conv + bias + constant-input map + scatter + residual + ReLU in one
  // pass. The op only calls it with the exact shapes it needs (checked there and again here).
  const scatterArrays = new WeakMap<number[], Int32Array>();
  const convTail: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { x, filter, bias, addMap, residual } = args.inputs as Record<'x' | 'filter', TensorInfo> & Partial<Record<'bias' | 'addMap' | 'residual', TensorInfo>>;
    const { strides, pad, relu, indices, channels } = args.attrs as unknown as ConvTailAttrs;
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad);
    const shape = [info.batchSize, info.outHeight, info.outWidth, channels];
    const out = allocateFloat32Outputs(b, [shape]);
    if (shape.some((d) => d === 0)) return out.infos[0]!;
    if (isZeroSized(x, filter)) throw new Error(`engine: ${CONV_TAIL} got an empty input or filter`);
    let scatter: Int32Array | null = null;
    if (indices) {
      scatter = scatterArrays.get(indices) ?? null;
      if (!scatter) scatterArrays.set(indices, (scatter = Int32Array.from(indices)));
    }
    const [xo, fo, yo] = operands(b, x, filter, out.infos[0]!);
    addon.conv2dEx(...xo!, ...fo!, ...yo!, ...convArgs(info), relu ? 1 : 0, ...optional(b, bias), ...optional(b, addMap), ...optional(b, residual), scatter, channels);
    return out.infos[0]!;
  };

  const filterOld = fallback('Conv2DBackpropFilter');
  const backpropFilter: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const b = args.backend as KernelBackend;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!channelsLast(dataFormat) || isZeroSized(x)) return filterOld(args);
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
    const out = allocateFloat32Outputs(b, [[...filterShape]]);
    if (isZeroSized(dy)) return zeros(out);
    addon.conv2dBackpropFilter(...operands(b, x, dy, out.infos[0]!).flat() as [...Operand, ...Operand, ...Operand], ...convArgs(info));
    return out.infos[0]!;
  };

  const inputOld = fallback('Conv2DBackpropInput');
  const backpropInput: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const b = args.backend as KernelBackend;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    if (!channelsLast(dataFormat) || isZeroSized(filter) || inputShape.some((d) => d === 0)) return inputOld(args);
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
    const out = allocateFloat32Outputs(b, [[...inputShape]]);
    if (isZeroSized(dy)) return zeros(out);
    addon.conv2dBackpropInput(...operands(b, dy, filter, out.infos[0]!).flat() as [...Operand, ...Operand, ...Operand], ...convArgs(info));
    return out.infos[0]!;
  };

  const rows = (x: TensorInfo): { c: number; m: number } => {
    const c = x.shape[x.shape.length - 1]!;
    return { c, m: c === 0 ? 0 : x.shape.reduce((p, d) => p * d, 1) / c };
  };

  const momentsOld = fallback(BN_MOMENTS);
  const moments: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const { c, m } = rows(x);
    if (m === 0 || c === 0) return momentsOld(args);
    const out = allocateFloat32Outputs(b, [[c], [c]]);
    const [xo, mean, variance] = operands(b, x, ...out.infos);
    addon.bnMoments(...xo!, ...mean!, ...variance!, m, c);
    return out.infos;
  };

  const scaleShiftOld = fallback(BN_SCALE_SHIFT);
  const scaleShift: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { x, scale, shift } = args.inputs as { x: TensorInfo; scale: TensorInfo; shift: TensorInfo };
    const { c, m } = rows(x);
    if (m === 0 || c === 0) return scaleShiftOld(args);
    const out = allocateFloat32Outputs(b, [[...x.shape]]);
    const [xo, so, sho, yo] = operands(b, x, scale, shift, out.infos[0]!);
    addon.bnScaleShift(...xo!, ...so!, ...sho!, ...yo!, m, c);
    return out.infos[0]!;
  };

  const gradOld = fallback(BN_GRAD);
  const grad: KernelFunc = (args) => {
    const b = args.backend as KernelBackend;
    const { dy, x, mean, invstd, gamma } = args.inputs as Record<'dy' | 'x' | 'mean' | 'invstd' | 'gamma', TensorInfo>;
    const { c, m } = rows(x);
    if (m === 0 || c === 0) return gradOld(args);
    const out = allocateFloat32Outputs(b, [[...x.shape], [c], [c]]);
    const [dyo, xo, mo, io, go, dxo, dgo, dbo] = operands(b, dy, x, mean, invstd, gamma, ...out.infos);
    addon.bnGrad(...dyo!, ...xo!, ...mo!, ...io!, ...go!, ...dxo!, ...dgo!, ...dbo!, m, c);
    return out.infos;
  };

  /** Same-shape float32 element-wise ops; broadcasting and other dtypes go to the replaced kernel. */
  const elementwise = (kernelName: string, op: 0 | 1 | 2): KernelConfig => {
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
  };

  return [
    elementwise('Add', 0),
    elementwise('Multiply', 1),
    elementwise('Relu', 2),
    { kernelName: 'Conv2D', backendName, kernelFunc: conv2d },
    { kernelName: 'FusedConv2D', backendName, kernelFunc: fusedConv2d },
    { kernelName: CONV_TAIL, backendName, kernelFunc: convTail },
    { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: backpropFilter },
    { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: backpropInput },
    { kernelName: BN_MOMENTS, backendName, kernelFunc: moments },
    { kernelName: BN_SCALE_SHIFT, backendName, kernelFunc: scaleShift },
    { kernelName: BN_GRAD, backendName, kernelFunc: grad },
  ];
}

let registered: string | null = null;

/**
 * Replaces the wasm backend's conv (also FusedConv2D with a [Co] bias and linear/ReLU), BatchNorm and same-shape Add/Multiply/Relu kernels with the addon's.
 * Call after the engine's own wasm kernels are registered (they remain the
 * fallback for what the addon does not cover). Idempotent. Returns e.g.
 * "native kernels: avx512f, 2 threads", or null when the addon is unavailable.
 */
export function registerNativeKernels(threads: number): string | null {
  const addon = loadNativeAddon();
  if (!addon) return null;
  addon.setThreads(Math.max(1, Math.floor(threads)));
  if (registered == null) {
    const configs = nativeKernelConfigs(addon, 'wasm', (name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    for (const config of configs) {
      if (tf.getKernel(config.kernelName, 'wasm') != null) tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  const { isa, threads: n } = addon.info();
  registered = `native kernels: ${isa}, ${n} thread${n === 1 ? '' : 's'}`;
  return registered;
}
