/**
 * Backend selection as a user meets it: probed in child processes (the host
 * never loads TF.js), with forced backends and the one-line fallback reasons.
 */
import { describe, it, expect } from 'vitest';
import os from 'node:os';
import { runProbe } from '../../src-main/core/engine-probe.ts';
import { describeLoadError } from '../../src-main/engine/backends/tensorflow.ts';
import { parseBackendRequest } from '../../src-main/engine/init.ts';
import { SUPPORTED_WASM_VERSION } from '../../src-main/engine/backends/wasm-threads.ts';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';

describe('engine selection', () => {
  it('auto picks wasm with training kernels where libtensorflow is absent, saying why in one line', async () => {
    const info = await runProbe('auto');
    expect(['tensorflow', 'wasm']).toContain(info.backend);
    if (info.backend === 'wasm') {
      expect(info.simd).toBe(true);
      const line = info.fallbacks.find((l) => l.startsWith('tensorflow:'));
      expect(line).toMatch(/^tensorflow: .*: using wasm$/);
      expect(line).not.toMatch(/\n|\s+at /);
    }
    expect(info.versions['tfjs-core']).toBe('4.22.0');
  });

  it('wasm runs multi-threaded under Node on a multi-core machine (forced threads, pinned tfjs version)', async () => {
    // The thread patches reach into tfjs-backend-wasm's Emscripten glue: an upgrade must be re-checked.
    expect(version_wasm).toBe(SUPPORTED_WASM_VERSION);
    const info = await runProbe('wasm');
    expect(info.backend).toBe('wasm');
    expect(info.threads).toBe(Math.max(1, os.availableParallelism()));
  });

  it('a forced backend that cannot load falls back down the order with one line', async () => {
    const info = await runProbe('tensorflow');
    if (info.backend !== 'tensorflow') {
      expect(info.backend).toBe('wasm');
      expect(info.fallbacks[0]).toMatch(/^tensorflow: .+: using wasm$/);
    }
  });

  it('cpu can be forced', async () => {
    const info = await runProbe('cpu');
    expect(info).toMatchObject({ backend: 'cpu', device: 'CPU', gpu: false, threads: 1 });
  });

  it('describes a missing optional package in one line', () => {
    const error = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /x/y.ts\n    at resolve (node:internal)"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(describeLoadError('@tensorflow/tfjs-node', error)).toBe('libtensorflow is not installed (optional package @tensorflow/tfjs-node missing)');
    const broken = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory\n  at Module._load');
    expect(describeLoadError('@tensorflow/tfjs-node', broken)).toMatch(/^@tensorflow\/tfjs-node is installed but its native libtensorflow binding failed to load \(libtensorflow.so.2: cannot open/);
  });

  it('rejects an unknown backend name, naming where it came from', () => {
    expect(parseBackendRequest('WASM', 'env')).toBe('wasm');
    expect(parseBackendRequest(undefined)).toBeUndefined();
    expect(() => parseBackendRequest('cuda', 'WORKBENCH_BACKEND')).toThrow(/WORKBENCH_BACKEND: unknown backend 'cuda' \(expected one of auto, tensorflow, wasm, cpu\)/);
  });
});
