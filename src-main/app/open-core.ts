import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EventBus } from '../core/event-bus.ts';
import { JobManager } from '../core/jobs/job-manager.ts';
import type { JobProcessLauncher } from '../core/jobs/protocol.ts';
import { Workspace, defaultWorkspaceDir } from '../core/workspace.ts';
import { dispatch } from '../core/dispatch.ts';
import { handlers } from './handlers.ts';
import { jobSpecs } from './job-kinds.ts';
import { readSettings } from '../core/settings.ts';
import type { ServiceContext } from '../core/handler-types.ts';
import type { Envelope } from '../common/contract/index.ts';
import { acquireHostLock, type HostLock } from '../core/host-lock.ts';
import { createSlurmLauncher, type SlurmLauncherOptions } from '../slurm/launcher.ts';

export interface WorkbenchCore {
  ctx: ServiceContext;
  /** Publishes how other processes can reach this host (the browser host's URL and token). */
  advertise(extra: Partial<HostLock>): void;
  dispatch(name: string, request: unknown): Promise<Envelope<unknown>>;
  close(): Promise<void>;
}

/** Opens the workspace and starts the job manager: what every host builds on. */
export function openCore(
  options: { workspaceDir?: string; launcher?: JobProcessLauncher; host?: HostLock['host']; /** Polling of Slurm jobs (tests poll faster). */ slurm?: SlurmLauncherOptions } = {},
): WorkbenchCore {
  const dir = path.resolve(options.workspaceDir ?? defaultWorkspaceDir());
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`Workspace path ${dir} is a file, not a folder.`);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  // The lock comes first: a second process must not even migrate a workspace another host writes.
  const lock = acquireHostLock(dir, options.host ?? 'cli');
  // Said once on stderr (stdout stays clean for --json): a user who saw the workspace refused before knows why it opens now.
  if (lock.staleNote) process.stderr.write(`${lock.staleNote}\n`);
  let ws: Workspace;
  try {
    ws = Workspace.open(dir);
  } catch (err) {
    lock.release();
    throw err;
  }
  const events = new EventBus();
  const settings = readSettings(ws);
  const jobs = new JobManager(ws, events, {
    specs: jobSpecs,
    computeConcurrency: settings.computeConcurrency,
    launcher: options.launcher,
    remote: { slurm: createSlurmLauncher(ws, options.slurm) },
  });
  const ctx: ServiceContext = { ws, jobs, events };
  if (jobs.cleanedAtStart.length > 0) {
    const mib = jobs.cleanedAtStart.reduce((a, f) => a + f.bytes, 0) / 2 ** 20;
    process.stderr.write(`Removed ${jobs.cleanedAtStart.length} data folder(s) of jobs that did not finish (${mib.toFixed(1)} MiB): ${jobs.cleanedAtStart.map((f) => f.path).join(', ')}\n`);
  }
  jobs.start();
  return {
    ctx,
    advertise: (extra) => lock.update(extra),
    dispatch: (name, request) => dispatch(handlers, ctx, name, request),
    close: async () => {
      await jobs.close();
      ws.close();
      lock.release();
    },
  };
}
