import { utilityProcess } from 'electron';
import path from 'node:path';
import type { FromJob, JobProcessHandle, JobProcessLauncher } from '../../core/jobs/protocol.ts';

/** In the Electron app, jobs run in utility processes (Chromium's recommended Node child). */
export function utilityLauncher(mainDir: string): JobProcessLauncher {
  return (env) => {
    const child = utilityProcess.fork(path.join(mainDir, 'job-process.js'), [], {
      env: { ...process.env, ...env },
      serviceName: 'workbench-job',
      stdio: 'pipe',
    });
    const handle: JobProcessHandle = {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', (m: FromJob) => listener(m)),
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      onOutput: (listener) => {
        const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
          for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) listener(stream, line);
        };
        child.stdout?.on('data', forward('stdout'));
        child.stderr?.on('data', forward('stderr'));
      },
      kill: () => {
        child.kill();
      },
    };
    return handle;
  };
}
