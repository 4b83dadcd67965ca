/**
 * Helpers for the in-process native kernel tests: run a body with env switches set (the kernels
 * read them per call) or on a given number of pool threads, restoring the previous state after.
 */
import type { NativeAddon } from '../../src-main/engine/native/addon.ts';

export function withEnv<T>(vars: Record<string, string>, body: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return body();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export function onThreads<T>(addon: NativeAddon, n: number, body: () => T): T {
  const before = addon.info().threads;
  addon.setThreads(n);
  try {
    return body();
  } finally {
    addon.setThreads(before);
  }
}

/** A float32 result's bytes, for bit-for-bit comparisons. */
export const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
