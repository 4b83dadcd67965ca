/**
 * The one adapter from a child process to the job manager's `JobProcessHandle`.
 * Each launcher (Node's fork here, Electron's utilityProcess in
 * hosts/electron, a cluster scheduler later) only says how to send, receive,
 * kill and read output; the line framing of stray output lives here once.
 */
import type { FromJob, JobProcessHandle, ToJob } from './protocol.ts';

/** What a launcher must provide about the process it started. */
export interface ChildProcessLike {
  readonly pid: number | undefined;
  send(message: ToJob): void;
  onMessage(listener: (message: FromJob) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  readonly stdout: NodeJS.ReadableStream | null | undefined;
  readonly stderr: NodeJS.ReadableStream | null | undefined;
  kill(): void;
}

/**
 * Calls `listener` once per complete non-empty line. Chunks split lines
 * anywhere, so the tail of a chunk waits for the next one (or the stream's end).
 */
export function forwardLines(stream: NodeJS.ReadableStream, listener: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string | Buffer) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) listener(line);
  });
  stream.on('end', () => {
    if (pending.trim()) listener(pending);
    pending = '';
  });
}

export function toJobProcessHandle(child: ChildProcessLike): JobProcessHandle {
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => child.send(message),
    onMessage: (listener) => child.onMessage(listener),
    onExit: (listener) => child.onExit(listener),
    onOutput: (listener) => {
      if (child.stdout) forwardLines(child.stdout, (line) => listener('stdout', line));
      if (child.stderr) forwardLines(child.stderr, (line) => listener('stderr', line));
    },
    kill: () => child.kill(),
  };
}
