import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputKernel } from './conv2d-backprop-input.ts';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum.ts';
import { identityKernel } from './identity.ts';
import { batchNormKernels } from './batch-norm-kernels.ts';
import { reluGradKernel } from './relu-grad.ts';

type MakeKernel = (backendName: string) => KernelConfig;

/**
 * Kernels the wasm backend lacks for training, or has only in a slow form.
 * Each entry builds a KernelConfig for a backend name, so the same
 * compositions can be checked against the cpu backend's own kernels.
 */
export const wasmTrainingKernels: readonly MakeKernel[] = [conv2dBackpropFilterKernel, conv2dBackpropInputKernel, unsortedSegmentSumKernel, identityKernel];

/** Our own fused kernels (new kernel names), for every JS-managed backend (wasm, cpu). */
export const fusedKernels: readonly MakeKernel[] = [...batchNormKernels, reluGradKernel];

function register(makers: readonly MakeKernel[], backendName: string): string[] {
  return makers.map((make) => {
    const config = make(backendName);
    // tfjs keeps one kernel per (name, backend): replace the built-in one.
    if (tf.getKernel(config.kernelName, backendName) != null) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
    return config.kernelName;
  });
}

/**
 * Registers the engine's kernels for `backendName` ('wasm': training kernels
 * + fused kernels; 'cpu': fused kernels). Idempotent. Returns the names.
 * The native `tensorflow` backend needs none: its kernels are complete and
 * ops/ falls back to composed tf ops there.
 */
export function registerEngineKernels(backendName: 'wasm' | 'cpu'): string[] {
  return [...(backendName === 'wasm' ? register(wasmTrainingKernels, backendName) : []), ...register(fusedKernels, backendName)];
}
