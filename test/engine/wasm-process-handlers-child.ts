/**
 * Child process of wasm-process-handlers.test.ts: loads the wasm backend (threads from argv[2]) in a
 * process that has its own 'uncaughtException' and 'unhandledRejection' handlers, as a job process or
 * a test runner has, then throws from a timer and leaves a rejection unhandled. Prints one JSON line:
 * the listener counts before and after the load, and what the process's own handlers received.
 */
import { loadWasm } from '../../src-main/engine/backends/wasm.ts';

const received: string[] = [];
process.on('uncaughtException', (error) => received.push(`exception: ${error.message}`));
process.on('unhandledRejection', (reason) => received.push(`rejection: ${(reason as Error).message}`));
const counts = (): number[] => [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];

const before = counts();
const load = await loadWasm(Number(process.argv[2] ?? '1'));
const after = counts();
setTimeout(() => {
  throw new Error('thrown from a timer');
}, 5);
setTimeout(() => void Promise.reject(new Error('left unhandled')), 10);
setTimeout(() => process.stdout.write(`${JSON.stringify({ before, after, threads: load.threads, received })}\n`), 100);
