/**
 * Host-side client of probe.ts: forks it, waits for its one answer, caches
 * the answer per requested backend. Imports nothing from TF.js.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { typeScriptLoaderArgv } from './ts-loader.ts';
import type { BackendRequestName, EngineInfo } from '../common/contract/engine.ts';

const PROBE_TIMEOUT_MS = 60_000;

/** The probe entry: built next to the main bundle (engine-probe.js), or the TypeScript source through tsx. */
export function probeEntry(): { file: string; execArgv: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, 'engine-probe.js');
  if (existsSync(built)) return { file: built, execArgv: [] };
  return { file: path.join(here, '..', 'engine', 'probe.ts'), execArgv: typeScriptLoaderArgv() };
}

const cache = new Map<BackendRequestName, Promise<EngineInfo>>();

/** Runs the probe in a child process (never loads TF.js here). */
export function runProbe(backend: BackendRequestName): Promise<EngineInfo> {
  const entry = probeEntry();
  return new Promise<EngineInfo>((resolve, reject) => {
    const env = { ...process.env };
    if (backend === 'auto') delete env.WORKBENCH_BACKEND;
    else env.WORKBENCH_BACKEND = backend;
    const child = fork(entry.file, [], { execArgv: entry.execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    let settled = false;
    const timer = setTimeout(() => {
      finish(new Error(`the engine probe did not answer within ${PROBE_TIMEOUT_MS / 1000} s`));
      child.kill('SIGKILL');
    }, PROBE_TIMEOUT_MS);
    const finish = (error: Error | null, info?: EngineInfo): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(info!);
    };
    child.on('message', (m: { ok: boolean; info?: EngineInfo; error?: string }) => {
      if (m.ok && m.info) finish(null, m.info);
      else finish(new Error(m.error ?? 'the engine probe failed'));
    });
    child.on('error', (e) => finish(new Error(`the engine probe could not start: ${e.message}`)));
    child.on('exit', (code) => {
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      finish(new Error(`the engine probe exited (code ${code}) without an answer${lastLine ? `: ${lastLine}` : ''}`));
    });
  });
}

/** EngineInfo for `backend`, probed once per host process unless `refresh`. */
export function probeEngine(backend: BackendRequestName, refresh = false): Promise<EngineInfo> {
  let p = cache.get(backend);
  if (!p || refresh) {
    p = runProbe(backend);
    // A failed probe is not cached: the next call tries again.
    p.catch(() => cache.delete(backend));
    cache.set(backend, p);
  }
  return p;
}
