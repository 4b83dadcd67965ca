/**
 * Loads the C++ N-API addon (src/, built at install by resources/bin/build-native.mjs).
 * Optional by design: when it is missing (no compiler at install) or fails to load, the
 * loader returns null with a one-line reason and the wasm kernels stay registered.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A tensor as the addon takes it: an array and the element index where the tensor starts. */
export type Operand = [Float32Array, number];
export type OptionalOperand = Operand | [null, 0];

/** Conv shape after the operands: n, h, w, ci, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft. */
export type ConvShapeArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number];

/** The addon's exports: one function per kernel of src/kernels/index.cc, plus the pool size and a description. */
export interface NativeAddon {
  /**
   * conv2d with the epilogue of engine/ops/conv-tail.ts; null operands are absent, channels = y's row width;
   * inference 1 (evaluation only) lets a 3x3 stride-1 conv run as Winograd (other rounding, src/winograd.h).
   */
  conv2dEx(
    ...args: [
      ...Operand,
      ...Operand,
      ...Operand,
      ...ConvShapeArgs,
      relu: number,
      ...OptionalOperand,
      ...OptionalOperand,
      ...OptionalOperand,
      scatter: Int32Array | null,
      channels: number,
      ...inference: [] | [number],
    ]
  ): void;
  conv2dBackpropFilter(...args: [...Operand, ...Operand, ...Operand, ...ConvShapeArgs]): void;
  conv2dBackpropInput(...args: [...Operand, ...Operand, ...Operand, ...ConvShapeArgs, ...addend: [] | OptionalOperand]): void;
  bnMoments(...args: [...Operand, ...Operand, ...Operand, m: number, c: number]): void;
  bnScaleShift(...args: [...Operand, ...Operand, ...Operand, ...Operand, m: number, c: number, relu: 0 | 1, ...residual: [] | OptionalOperand]): void;
  bnGrad(...args: [...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, ...Operand, m: number, c: number, ...OptionalOperand, ...masked: [] | OptionalOperand]): void;
  /**
   * y[o, m, i] = a[o, m, i] op b[o, i] (same shapes: mid 1): op 0 a + b, 1 a * b, 2 relu(a) (b unused),
   * 3 a - b, 4 b - a, 5 ReLU's gradient (a where b > 0; a = dy, b = the ReLU's output).
   */
  elementwise(op: 0 | 1 | 2 | 3 | 4 | 5, ...args: [...Operand, ...Operand, ...Operand, outer: number, mid: number, inner: number]): void;
  /** InstanceNorm + activation (engine/ops/instance-norm.ts): x, y, out (null without an activation), rstd [b, c], params [eps, alpha]. */
  instanceNorm(...args: [...Operand, ...Operand, ...OptionalOperand, ...Operand, params: Float32Array, paramsOffset: number, b: number, hw: number, c: number, act: number]): void;
  /** Its gradient: dy, y, rstd, dx, params [alpha]. */
  instanceNormGrad(...args: [...Operand, ...Operand, ...Operand, ...Operand, params: Float32Array, paramsOffset: number, b: number, hw: number, c: number, act: number]): void;
  /** One Adam step (engine/ops/adam.ts): value, m, v, gradient, params [b1, 1-b1, b2, 1-b2, 1-b1^t, 1-b2^t, eps, -lr], then value', m', v'. */
  adamUpdate(...args: [...Operand, ...Operand, ...Operand, ...Operand, params: Float32Array, paramsOffset: number, ...Operand, ...Operand, ...Operand, n: number]): void;
  /** One SGD-with-momentum step (engine/ops/sgd-momentum.ts): value, buffer, gradient, params [lr, momentum, weightDecay, nesterov, first], then value', buffer'. */
  /** A BatchNorm's running statistics moved (engine/ops/running-stats.ts): mean, variance, batch mean, batch variance, params [keep, a, b], then mean', variance'. */
  spatialMean(...args: [...Operand, ...Operand, outer: number, mid: number, inner: number]): void;
  runningStatsUpdate(...args: [...Operand, ...Operand, ...Operand, ...Operand, params: Float32Array, paramsOffset: number, ...Operand, ...Operand, n: number]): void;
  sgdMomentumUpdate(...args: [...Operand, ...Operand, ...Operand, params: Float32Array, paramsOffset: number, ...Operand, ...Operand, n: number]): void;
  /** Gradient of a reflect padding by p of x [b, h, w, c] (engine/ops/reflect-pad.ts): dy, dx. */
  reflectPadGrad(...args: [...Operand, ...Operand, b: number, h: number, w: number, c: number, p: number]): void;
  setThreads(threads: number): void;
  /** The CPU path chosen at run time, the pool size and the kernel names the addon exports. */
  info(): { isa: string; threads: number; microkernelRows: number; kernels: string[] };
}

/** The names of the addon's kernel functions (not setThreads/info). */
export type AddonKernelName = Exclude<keyof NativeAddon, 'setThreads' | 'info'>;

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
/** The values WORKBENCH_NATIVE_ISA accepts (gemm.cc's select()); anything else would quietly run the portable kernels. */
export const forcedIsaValues = ['avx512f', 'avx2', 'generic'] as const;

/** Throws, naming the variable, where WORKBENCH_NATIVE_ISA holds a value gemm.cc would not recognise. */
export function checkForcedIsa(value = process.env.WORKBENCH_NATIVE_ISA): void {
  if (value && !(forcedIsaValues as readonly string[]).includes(value)) {
    throw new Error(`WORKBENCH_NATIVE_ISA=${value} is not an ISA the native kernels know: use ${forcedIsaValues.join(', ')}, or unset it for the best this CPU has.`);
  }
}

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
