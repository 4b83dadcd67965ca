import { openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';

/** Who holds a workspace for writing, and how another process can reach it. */
export interface HostLock {
  pid: number;
  host: 'electron' | 'browser' | 'cli';
  /** The browser host's base URL and token, when it serves one: the CLI sends its calls there. */
  url?: string;
  token?: string;
}

export class WorkspaceBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: HostLock,
  ) {
    super(
      holder.url
        ? `The workspace ${dir} is open in the workbench's browser host (process ${holder.pid}).`
        : `The workspace ${dir} is open in another workbench process (${holder.host}, pid ${holder.pid}); close it or use another --workspace.`,
    );
  }
}

const lockPath = (dir: string): string => path.join(dir, 'workbench.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readHostLock(dir: string): HostLock | null {
  try {
    const lock = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as HostLock;
    return alive(lock.pid) && lock.pid !== process.pid ? lock : null;
  } catch {
    return null;
  }
}

/**
 * One writer per workspace: the first host takes the lock file; a lock left by
 * a process that no longer runs is taken over. The file is private (0600)
 * because it carries the browser host's token.
 */
export function acquireHostLock(dir: string, host: HostLock['host']): { update(extra: Partial<HostLock>): void; release(): void } {
  const file = lockPath(dir);
  const holder = readHostLock(dir);
  if (holder) throw new WorkspaceBusyError(dir, holder);
  if (existsSync(file)) rmSync(file, { force: true });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch {
    const racer = readHostLock(dir);
    throw new WorkspaceBusyError(dir, racer ?? { pid: -1, host: 'cli' });
  }
  let current: HostLock = { pid: process.pid, host };
  writeSync(fd, JSON.stringify(current));
  closeSync(fd);
  return {
    update(extra) {
      current = { ...current, ...extra };
      writeFileSync(file, JSON.stringify(current), { mode: 0o600 });
    },
    release() {
      try {
        const onDisk = JSON.parse(readFileSync(file, 'utf8')) as HostLock;
        if (onDisk.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
