import { EventBus } from './event-bus.ts';
import { JobManager } from './jobs/job-manager.ts';
import type { JobProcessLauncher } from './jobs/protocol.ts';
import { Workspace, defaultWorkspaceDir } from './workspace.ts';
import { dispatch } from './dispatch.ts';
import { readSettings } from './settings.ts';
import type { ServiceContext } from './handler-types.ts';
import type { Envelope } from '../common/contract/index.ts';

export interface WorkbenchCore {
  ctx: ServiceContext;
  dispatch(name: string, request: unknown): Promise<Envelope<unknown>>;
  close(): Promise<void>;
}

/** Opens the workspace and starts the job manager: what every host builds on. */
export function openCore(options: { workspaceDir?: string; launcher?: JobProcessLauncher } = {}): WorkbenchCore {
  const ws = Workspace.open(options.workspaceDir ?? defaultWorkspaceDir());
  const events = new EventBus();
  const settings = readSettings(ws);
  const jobs = new JobManager(ws, events, { computeConcurrency: settings.computeConcurrency, launcher: options.launcher });
  const ctx: ServiceContext = { ws, jobs, events };
  jobs.start();
  return {
    ctx,
    dispatch: (name, request) => dispatch(ctx, name, request),
    close: async () => {
      await jobs.close();
      ws.close();
    },
  };
}
