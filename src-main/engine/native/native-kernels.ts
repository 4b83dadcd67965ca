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
 * Layout: addon.ts loads the addon, kernels/ holds one TF.js wrapper per
 * kernel (listed in kernels/index.ts), src/kernels/ one C++ file per kernel
 * (listed in src/kernels/index.cc). This file registers them.
 *
 * Optional by design: when the addon is missing (no compiler at install) or
 * WORKBENCH_NATIVE=0, the engine owner's wasm kernels stay registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from './addon.ts';
import { nativeKernels } from './kernels/index.ts';

export { loadNativeAddon, nativeAddonReason, type NativeAddon } from './addon.ts';

/**
 * Native kernel configs for `backendName`; `previous` is the kernel each one
 * replaces (used for what the addon does not cover: NCHW, dilation, empty tensors).
 */
export function nativeKernelConfigs(addon: NativeAddon, backendName: string, previous: (name: string) => KernelFunc | undefined): KernelConfig[] {
  const fallback = (name: string): KernelFunc =>
    previous(name) ??
    (() => {
      throw new Error(`engine: native ${name} cannot handle these arguments and no other kernel is registered`);
    });
  return nativeKernels.flatMap((kernel) => kernel.configs({ addon, backendName, fallback }));
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
