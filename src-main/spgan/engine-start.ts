import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { initEngine } from '../engine/init.ts';
import type { BackendRequest } from '../engine/init.ts';
import type { EngineInfo } from '../common/contract/engine.ts';

/**
 * Makes sure TF.js's gradient functions are registered. initEngine() normally
 * does it (through tfjs-layers' Node bundle); this is the fallback for code
 * that sets a backend by itself. The gradients ship as extensionless ESM files;
 * under tsx a static `import '@tensorflow/tfjs-core/dist/register_all_gradients'`
 * fails (ERR_UNSUPPORTED_DIR_IMPORT on `./gradients`), while `require` resolves
 * them CommonJS-style and tsx transpiles them; under vitest the ESM import works.
 * The registry is global (globalThis), so either copy serves every tfjs-core instance.
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Add') !== undefined) return;
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  } catch {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  }
  if (tf.getGradient('Add') === undefined) throw new Error('engine: TF.js gradients could not be registered');
}

/** The engine domain's start-up (backend choice, training kernels) plus gradients; first call of every runner. */
export async function startEngine(backend?: string): Promise<EngineInfo> {
  const request = backend === undefined || backend === '' ? undefined : (backend as BackendRequest);
  const info = await initEngine(request ? { backend: request } : {});
  await ensureGradients();
  return info;
}
