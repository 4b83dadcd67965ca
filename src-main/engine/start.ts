import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from './init.ts';
import type { BackendRequest } from './init.ts';
import type { EngineInfo } from '../common/contract/engine.ts';

/**
 * Makes sure TF.js's gradient functions are registered. initEngine() does it
 * (tfjs-layers' Node bundle registers all of core's gradients on import); this
 * is the same step for code that picks a backend by itself (tests).
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Add') !== undefined) return;
  await import('@tensorflow/tfjs-layers');
  if (tf.getGradient('Add') === undefined) throw new Error('engine: TF.js gradients could not be registered');
}

/** The engine domain's start-up (backend choice, training kernels) plus gradients; first call of every runner. */
export async function startEngine(backend?: string): Promise<EngineInfo> {
  const request = backend === undefined || backend === '' ? undefined : (backend as BackendRequest);
  const info = await initEngine(request ? { backend: request } : {});
  await ensureGradients();
  return info;
}
