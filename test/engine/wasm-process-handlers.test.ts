/**
 * The wasm backend leaves the process's error handling alone: its generated loader adds process-wide
 * 'uncaughtException' and 'unhandledRejection' listeners that rethrow, and a throw inside a listener
 * ends Node at once (exit code 7), before the process's own handlers (a job process reporting its
 * failure, a test runner reporting the error) could act. loadWasm removes them; a child process
 * with its own handlers checks that both kinds of stray error reach those handlers and the process
 * lives on, single- and multi-threaded.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';

const child = path.join(import.meta.dirname, 'wasm-process-handlers-child.ts');

describe('wasm backend and the process error handlers', () => {
  it.each([1, 2])('with %i thread(s): no listener added, stray errors reach the process handlers', (threads) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', child, String(threads)], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { before: number[]; after: number[]; threads: number; received: string[] };
    expect(out.after).toEqual(out.before);
    expect(out.threads).toBe(threads);
    expect(out.received).toEqual(['exception: thrown from a timer', 'rejection: left unhandled']);
  });
});
