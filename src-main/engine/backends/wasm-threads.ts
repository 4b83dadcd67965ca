/**
 * Multi-threaded XNNPACK for the wasm backend under Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary but turns threads off
 * under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag returns false when
 * IS_NODE), because its Emscripten glue hands the pthread workers blob: URLs
 * that Node's worker_threads cannot load. Threads double conv throughput on
 * two cores (engineering-facts.md: 1.9-2x), so we turn them on by:
 *   1. setting the flag to true before the backend initialises;
 *   2. while it initialises, recording the text of the Blobs it builds and
 *      answering URL.createObjectURL with a file we write that text to;
 *   3. giving it a Worker class that rewrites the "load" message, which
 *      carries the main script as a Blob, into the path of a script file with
 *      a prelude defining the bundle-local names that script refers to;
 *   4. reporting twice the wanted thread count as the number of cores while
 *      the backend is constructed, because the C++ side caps XNNPACK's pool at
 *      half the logical cores.
 * All of this depends on the exact 4.22.0 bundle, so it is guarded by the
 * version (SUPPORTED_WASM_VERSION) and by a check that the thread count took
 * effect; otherwise the backend runs single-threaded and says why.
 */
import { mkdirSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

export const SUPPORTED_WASM_VERSION = '4.22.0';

/** Names that the threaded factory's source uses from the rollup bundle's scope. */
const MAIN_SCRIPT_PRELUDE = [
  "var require$$0 = require('fs');",
  "var require$$1 = require('path');",
  "var require$$2 = require('worker_threads');",
  "var require$$3 = require('perf_hooks');",
  "var require$$4 = require('os');",
  'var commonjsGlobal = globalThis;',
  'var _scriptDir = undefined;',
  '',
].join('\n');

const createdWorkers: NodeWorker[] = [];

/** A WebAssembly.Memory (the Node typings this project compiles against have no WebAssembly types). */
export interface WasmMemoryLike {
  readonly buffer: ArrayBufferLike;
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: abstract new () => WasmMemoryLike } }).WebAssembly.Memory;

/** The wasm module's shared memory, seen in the glue's "load" message (threaded builds only). */
let sharedMemory: WasmMemoryLike | null = null;

/** The threaded wasm heap, for helper threads of our JS kernels (kernels/js-parallel.ts); null when single-threaded. */
export function sharedWasmMemory(): WasmMemoryLike | null {
  return sharedMemory;
}

function scriptFile(text: string, suffix: string): string {
  const dir = join(tmpdir(), `workbench-wasm-${SUPPORTED_WASM_VERSION}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha1').update(text).digest('hex').slice(0, 16)}${suffix}.cjs`);
  // Content-addressed: an existing file already holds exactly this text.
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    // rename is atomic, so a concurrent process never reads a half-written file.
    renameSync(temp, file);
  }
  return file;
}

/** Worker that understands the Blob-carrying "load" message of the threaded glue. */
class PthreadWorker extends NodeWorker {
  constructor(filename: string | URL, options?: WorkerOptions) {
    super(filename, options);
    createdWorkers.push(this);
  }

  override postMessage(message: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
    const m = message as { cmd?: string; urlOrBlob?: unknown; wasmMemory?: unknown };
    if (m && m.cmd === 'load' && m.wasmMemory instanceof WasmMemory) sharedMemory = m.wasmMemory;
    if (m && m.cmd === 'load' && m.urlOrBlob instanceof Blob) {
      const text = blobTexts.get(m.urlOrBlob);
      if (text == null) throw new Error('engine: wasm threads: unknown main script blob');
      m.urlOrBlob = scriptFile(MAIN_SCRIPT_PRELUDE + text, '-main');
    }
    super.postMessage(message, transferList);
  }
}

const blobTexts = new WeakMap<Blob, string>();

/**
 * Runs `init` (which must construct the wasm backend) with the patches above
 * in place, then restores everything except the global Worker (the glue
 * itself would have left Node's Worker there).
 */
export async function withWasmThreadPatches<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      const [parts, options] = args;
      super(parts, options);
      if (parts && parts.every((p: unknown) => typeof p === 'string')) blobTexts.set(this, parts.join(''));
    }
  }
  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = (obj: Blob) => {
    const text = blobTexts.get(obj);
    return text == null ? originalCreateObjectURL(obj) : scriptFile(text, '-worker');
  };
  const fakeCpus = Array.from({ length: Math.max(2 * threads, originalCpus().length) }, () => originalCpus()[0]!);
  os.cpus = () => fakeCpus;
  // The glue assigns `globalThis.Worker = require('worker_threads').Worker`;
  // the accessor keeps our subclass in place.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => PthreadWorker,
    set: () => {},
  });
  try {
    return await init();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
    // Idle pthread workers must not keep a finished CLI or job process alive.
    for (const w of createdWorkers) w.unref();
  }
}
