/**
 * Preamble of the tests that compare a native kernel on the wasm backend with the path its switch
 * turns back on: start the engine, find the kernel, fail the file under CI when the addon is
 * missing, and unset the switches after each test.
 */
import { afterEach, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';

/** A float32 tensor's values as their bit patterns, for bit-for-bit comparisons. */
export const tensorBits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/** Starts the wasm engine; resolves with whether `has()` finds the native kernel named `what`. */
export async function startWasmNative(what: string, has: () => boolean, switches: string[]): Promise<boolean> {
  await initEngine({ backend: 'wasm' });
  const native = has();
  beforeAll(() => {
    if (process.env.CI && !native) throw new Error(`the native addon (${what}) is missing`);
  });
  afterEach(() => {
    for (const name of switches) delete process.env[name];
  });
  return native;
}
