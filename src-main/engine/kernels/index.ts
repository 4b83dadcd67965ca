import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputKernel } from './conv2d-backprop-input.ts';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum.ts';

/**
 * The training kernels we add to (or replace in) the wasm backend. Each entry
 * builds a KernelConfig for a backend name, so the same compositions can be
 * checked against the cpu backend in the tests.
 */
export const trainingKernels: ReadonlyArray<(backendName: string) => KernelConfig> = [
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  unsortedSegmentSumKernel,
];

/**
 * Registers the training kernels for `backendName`, replacing any kernel of
 * the same name (tfjs keeps one kernel per name and backend). Idempotent.
 * Returns the names registered.
 */
export function registerTrainingKernels(backendName = 'wasm'): string[] {
  const names: string[] = [];
  for (const make of trainingKernels) {
    const config = make(backendName);
    if (tf.getKernel(config.kernelName, backendName) != null) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
    names.push(config.kernelName);
  }
  return names;
}
