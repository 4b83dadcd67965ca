/**
 * The wasm backend (XNNPACK, SIMD), made fit for training: our training
 * kernels registered, and multi-threading forced on under Node where the
 * pinned tfjs version allows it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerEngineKernels } from '../kernels/index.ts';
import { SUPPORTED_WASM_VERSION, sharedWasmMemory, withWasmThreadPatches } from './wasm-threads.ts';
import { startJsHelper } from '../kernels/js-parallel.ts';

export interface WasmLoad {
  threads: number;
  simd: boolean;
  version: string;
  kernels: string[];
  /** Why fewer threads than asked for, in one line; absent when all is well. */
  note?: string;
}

/**
 * Initialises the wasm backend (once per process: tfjs keeps one instance of
 * each backend) and makes it the active one.
 * @param threads wanted XNNPACK threads; 1 disables the thread patches.
 */
export async function loadWasm(threads: number): Promise<WasmLoad> {
  return keepingProcessHandlers(() => startWasm(threads));
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `start` and then removes the process-wide 'uncaughtException' and 'unhandledRejection'
 * listeners it added. The wasm module's generated loader adds two that rethrow what they receive;
 * a throw inside such a listener ends Node at once (exit code 7), so any stray rejection killed
 * the process before its own handlers (a job process reporting its failure to the host, a test
 * runner reporting the error) could act.
 */
async function keepingProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  // The plain EventEmitter view: `process`'s own typings overload these per event name.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  try {
    return await start();
  } finally {
    for (const event of PROCESS_EVENTS)
      for (const listener of emitter.listeners(event)) if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
  }
}

async function startWasm(threads: number): Promise<WasmLoad> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const kernels = registerEngineKernels('wasm');
  let note: string | undefined;
  const useThreads = threads > 1 && wasm.version_wasm === SUPPORTED_WASM_VERSION && process.env.WORKBENCH_WASM_THREADS !== '0';
  if (threads > 1 && !useThreads) {
    note =
      wasm.version_wasm !== SUPPORTED_WASM_VERSION
        ? `wasm threads: tfjs-backend-wasm ${wasm.version_wasm} is not the pinned ${SUPPORTED_WASM_VERSION}; running single-threaded`
        : 'wasm threads: disabled by WORKBENCH_WASM_THREADS=0';
  }
  const init = async (withThreads: boolean): Promise<void> => {
    if (withThreads) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(threads);
    }
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the wasm backend failed to initialise');
    await tf.ready();
  };
  let threaded = useThreads;
  if (useThreads) {
    try {
      await withWasmThreadPatches(threads, () => init(true));
    } catch (error) {
      // The patched start failed (e.g. a different Node worker API): retry plain.
      threaded = false;
      note = `wasm threads: could not start (${String((error as Error)?.message ?? error).split('\n')[0]}); running single-threaded`;
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setThreadsCount(1);
      await init(false);
    }
  } else {
    await init(false);
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const actual = threaded ? wasm.getThreadsCount() : 1;
  if (threaded && actual < threads) note = `wasm threads: asked for ${threads}, XNNPACK uses ${actual}`;
  // Our JS kernels get a second thread over the shared heap (WORKBENCH_JS_THREADS=0 turns it off).
  if (actual > 1 && process.env.WORKBENCH_JS_THREADS !== '0') startJsHelper(sharedWasmMemory());
  return { threads: actual, simd, version: wasm.version_wasm, kernels, ...(note ? { note } : {}) };
}
