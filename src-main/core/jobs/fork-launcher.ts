import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromJob, JobProcessHandle, JobProcessLauncher } from './protocol.ts';
import { toJobProcessHandle } from './process-handle.ts';
import { typeScriptLoaderArgv } from '../ts-loader.ts';

/**
 * Where the job process entry lives: next to the bundle when built
 * (out/main/job-process.js), or the TypeScript source (src-main/app/job-process.ts)
 * run through tsx (by its file, so any working folder will do).
 */
export function jobProcessEntry(): { file: string; execArgv: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, 'job-process.js');
  if (existsSync(built)) return { file: built, execArgv: [] };
  const source = path.resolve(here, '..', '..', 'app', 'job-process.ts');
  return { file: source, execArgv: typeScriptLoaderArgv() };
}

/** Node hosts (browser host, CLI, tests): one `child_process.fork` per job. */
export const forkLauncher: JobProcessLauncher = (env) => {
  const entry = jobProcessEntry();
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv,
    env: { ...process.env, ...env },
    serialization: 'advanced',
    // Piped, not inherited: a job's stray console output goes to its log, never into
    // the CLI's --json stdout.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return forkedJobHandle(child);
};

/** The job handle of a process started by `fork` with an IPC channel and piped stdout and stderr. */
export function forkedJobHandle(child: ChildProcess): JobProcessHandle {
  return toJobProcessHandle({
    pid: child.pid,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (m) => listener(m as FromJob)),
    onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
    stdout: child.stdout,
    stderr: child.stderr,
    kill: () => child.kill('SIGKILL'),
  });
}
