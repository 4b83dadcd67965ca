import { utilityProcess } from 'electron';
import path from 'node:path';
import type { FromJob, JobProcessLauncher } from '../../core/jobs/protocol.ts';
import { toJobProcessHandle } from '../../core/jobs/process-handle.ts';

/** In the Electron app, jobs run in utility processes (Chromium's recommended Node child). */
export function utilityLauncher(mainDir: string): JobProcessLauncher {
  return (env) => {
    const child = utilityProcess.fork(path.join(mainDir, 'job-process.js'), [], {
      env: { ...process.env, ...env },
      serviceName: 'workbench-job',
      stdio: 'pipe',
    });
    return toJobProcessHandle({
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', (m: FromJob) => listener(m)),
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      stdout: child.stdout,
      stderr: child.stderr,
      kill: () => {
        child.kill();
      },
    });
  };
}
