/**
 * Compute engine start-up: picks the TF.js backend for this process.
 *
 * Order (auto): tfjs-node-gpu (when a CUDA device is visible) > tfjs-node >
 * wasm with our training kernels (+ threads) > cpu (pure JS). A forced
 * backend (option, or env WORKBENCH_BACKEND, which job processes get from
 * `--backend`) is tried first; when it cannot load, the rest of the order
 * follows and `fallbacks` says why in one line each.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { backendRequests, type BackendName, type BackendRequestName, type EngineInfo } from '../common/contract/engine.ts';
import { loadTensorflow } from './backends/tensorflow.ts';
import { loadWasm } from './backends/wasm.ts';
import { registerEngineKernels } from './kernels/index.ts';
import { registerNativeKernels } from './native/native-kernels.ts';
import { checkForcedIsa } from './native/addon.ts';

export type BackendRequest = BackendRequestName;

export const BACKEND_REQUESTS: readonly BackendRequest[] = backendRequests;

export interface InitEngineOptions {
  backend?: BackendRequest;
  /** XNNPACK threads for wasm; default env WORKBENCH_THREADS, else the number of cores. */
  threads?: number;
}

let pending: Promise<EngineInfo> | null = null;
let current: EngineInfo | null = null;

/** Parses a backend name from a flag, env var or setting; throws a message naming `source` on a bad one. */
export function parseBackendRequest(value: string | undefined, source = 'backend'): BackendRequest | undefined {
  if (value == null || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if ((BACKEND_REQUESTS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new Error(`${source}: unknown backend '${value}' (expected one of ${BACKEND_REQUESTS.join(', ')})`);
}

function wantedThreads(options: InitEngineOptions): number {
  const fromEnv = Number(process.env.WORKBENCH_THREADS);
  const n = options.threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism());
  return Math.max(1, Math.floor(n));
}

function order(request: BackendRequest): BackendName[] {
  const auto: BackendName[] = ['tensorflow', 'wasm', 'cpu'];
  return request === 'auto' ? auto : [request, ...auto.filter((b) => b !== request)];
}

async function tryBackend(name: BackendName, threads: number, fallbacks: string[]): Promise<EngineInfo | null> {
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  if (name === 'tensorflow') {
    const gpu = await loadTensorflow('@tensorflow/tfjs-node-gpu');
    const load = gpu.ok ? gpu : await loadTensorflow('@tensorflow/tfjs-node');
    if (!load.ok) {
      fallbacks.push(`tensorflow: ${load.reason}`);
      return null;
    }
    if (!gpu.ok) fallbacks.push(`tensorflow GPU: ${gpu.reason}`);
    if (!(await tf.setBackend('tensorflow'))) {
      fallbacks.push(`tensorflow: ${load.pkg} loaded but its backend failed to initialise`);
      return null;
    }
    return {
      backend: 'tensorflow',
      device: load.device ?? 'CPU',
      gpu: load.pkg === '@tensorflow/tfjs-node-gpu',
      // libtensorflow sizes its own thread pools (inter/intra-op) from the cores.
      threads: os.availableParallelism(),
      simd: true,
      versions: { ...versions, [load.pkg.replace('@tensorflow/', '')]: load.version ?? 'unknown' },
      fallbacks,
    };
  }
  if (name === 'wasm') {
    try {
      const load = await loadWasm(threads);
      if (load.note) fallbacks.push(load.note);
      // Optional C++ kernels (native/README section in ../README.md); WORKBENCH_NATIVE=0 keeps the wasm ones.
      const native = process.env.WORKBENCH_NATIVE === '0' ? null : registerNativeKernels(threads);
      if (native) versions.native = native.replace('native kernels: ', '');
      return {
        backend: 'wasm',
        device: native ? `CPU (native ${native.split(/[:,] /)[1]} kernels)` : 'CPU',
        gpu: false,
        threads: load.threads,
        simd: load.simd,
        versions: { ...versions, 'tfjs-backend-wasm': load.version },
        fallbacks,
      };
    } catch (error) {
      fallbacks.push(`wasm: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
      return null;
    }
  }
  const cpu = await import('@tensorflow/tfjs-backend-cpu');
  registerEngineKernels('cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('engine: even the cpu backend failed to initialise');
  return {
    backend: 'cpu',
    device: 'CPU',
    gpu: false,
    threads: 1,
    simd: false,
    versions: { ...versions, 'tfjs-backend-cpu': cpu.version_cpu },
    fallbacks,
  };
}

/**
 * tfjs-core registers no gradients by itself (the union package does, via
 * dist/register_all_gradients, an ES module Node cannot load from this CJS
 * package). tfjs-layers' Node bundle registers all of core's gradients on
 * import (~50 ms), so training works whatever else a runner imports.
 */
async function registerGradients(): Promise<void> {
  if (tf.getGradient('Conv2D') == null) await import('@tensorflow/tfjs-layers');
}

async function init(options: InitEngineOptions): Promise<EngineInfo> {
  await registerGradients();
  const request = options.backend && options.backend !== 'auto' ? options.backend : (parseBackendRequest(process.env.WORKBENCH_BACKEND, 'WORKBENCH_BACKEND') ?? 'auto');
  // A misspelt forced ISA is a setting error, not a reason to fall back to another backend.
  checkForcedIsa();
  const threads = wantedThreads(options);
  const fallbacks: string[] = [];
  for (const name of order(request)) {
    const info = await tryBackend(name, threads, fallbacks);
    if (info) {
      // "tensorflow: ...: using wasm" reads as one line per failed preference.
      info.fallbacks = fallbacks.map((line) => (line.startsWith('wasm threads') ? line : `${line}: using ${info.backend}`));
      await tf.ready();
      current = info;
      return info;
    }
  }
  throw new Error('engine: no TF.js backend could be initialised');
}

/**
 * Selects and initialises the TF.js backend for this process and returns what
 * was chosen. Idempotent: later calls return the first call's result (a
 * process binds at most one native TensorFlow, and jobs run one per process).
 */
export function initEngine(options: InitEngineOptions = {}): Promise<EngineInfo> {
  if (pending == null) {
    pending = init(options).catch((error: unknown) => {
      pending = null;
      throw error;
    });
  }
  return pending;
}

/** What `initEngine` chose in this process, or null before it has finished. */
export function currentEngineInfo(): EngineInfo | null {
  return current;
}
