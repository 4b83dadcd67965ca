/**
 * Child-process entry that initialises the engine and reports EngineInfo.
 * The host process never loads TF.js (a native libtensorflow or a 30 MB wasm
 * heap has no place in the UI/API process); `engine.info` forks this instead.
 * Backend request: env WORKBENCH_BACKEND. Answer: one IPC message
 * { ok: true, info } or { ok: false, error }, then exit.
 */
import { initEngine } from './init.ts';

async function main(): Promise<void> {
  try {
    const info = await initEngine();
    process.send?.({ ok: true, info });
  } catch (error) {
    process.send?.({ ok: false, error: String((error as Error)?.message ?? error).split('\n')[0] });
  }
  // Exit explicitly: the wasm thread pool and native handles must not linger.
  process.disconnect?.();
  process.exit(0);
}

void main();
