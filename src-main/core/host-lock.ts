import { openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';

/** Who holds a workspace for writing, and how another process can reach it. */
export interface HostLock {
  pid: number;
  host: 'electron' | 'browser' | 'cli';
  /** The browser host's base URL and token, when it serves one: the CLI sends its calls there. */
  url?: string;
  token?: string;
  /**
   * The holder's start time (Linux: field 22 of /proc/<pid>/stat, clock ticks
   * since boot): with the pid it names one process, so a pid the system has
   * since given to another process is recognised as a stale lock.
   */
  started?: string;
}

export class WorkspaceBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: HostLock,
  ) {
    super(
      holder.url
        ? `The workspace ${dir} is open in the workbench's browser host (process ${holder.pid}).`
        : `The workspace ${dir} is open in another workbench process (${holder.host}, pid ${holder.pid}); close it or use another --workspace. If no workbench runs there any more, delete ${lockPath(dir)}.`,
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

/** Start time of a process from /proc (Linux); null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

/**
 * Whether the lock's process still runs and is the workbench that wrote it:
 * a live pid with another start time (or, for a lock without one, a command
 * line that is not a workbench's) is a process that got the pid later.
 * Returns the reason when the lock is stale although the pid lives.
 */
function holderState(lock: HostLock): { holds: true } | { holds: false; reused: string | null } {
  if (!alive(lock.pid)) return { holds: false, reused: null };
  const started = processStartTime(lock.pid);
  if (started === null) return { holds: true }; // no /proc: the pid is all there is to go by
  const cmd = commandLine(lock.pid) ?? '?';
  if (lock.started !== undefined) return lock.started === started ? { holds: true } : { holds: false, reused: cmd };
  return /workbench|electron/i.test(cmd) ? { holds: true } : { holds: false, reused: cmd };
}

function readLockFile(dir: string): HostLock | null {
  try {
    const lock = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as HostLock;
    return typeof lock.pid === 'number' ? lock : null;
  } catch {
    return null;
  }
}

export function readHostLock(dir: string): HostLock | null {
  const lock = readLockFile(dir);
  return lock && lock.pid !== process.pid && holderState(lock).holds ? lock : null;
}

/**
 * One writer per workspace: the first host takes the lock file; a lock left by
 * a process that no longer runs is taken over. The file is private (0600)
 * because it carries the browser host's token.
 */
export function acquireHostLock(
  dir: string,
  host: HostLock['host'],
): { update(extra: Partial<HostLock>): void; release(): void; /** Set when a stale lock was taken over: what it said and why it was stale. */ staleNote: string | null } {
  const file = lockPath(dir);
  const holder = readHostLock(dir);
  if (holder) throw new WorkspaceBusyError(dir, holder);
  let staleNote: string | null = null;
  const old = readLockFile(dir);
  if (old && old.pid !== process.pid) {
    const state = holderState(old);
    if (!state.holds && state.reused !== null) {
      staleNote = `${file} named process ${old.pid}, which is now another program (${state.reused.slice(0, 120)}), not the workbench that took the lock: the lock was stale and is taken over.`;
    }
  }
  if (existsSync(file)) rmSync(file, { force: true });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch {
    const racer = readHostLock(dir);
    throw new WorkspaceBusyError(dir, racer ?? { pid: -1, host: 'cli' });
  }
  const started = processStartTime(process.pid);
  let current: HostLock = { pid: process.pid, host, ...(started !== null ? { started } : {}) };
  writeSync(fd, JSON.stringify(current));
  closeSync(fd);
  return {
    staleNote,
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
