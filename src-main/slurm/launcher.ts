/**
 * The Slurm launcher the JobManager is handed (core/jobs/protocol.ts,
 * RemoteLauncher): a job whose `runOn` is `{ slurm: profile }` runs the same
 * job process (src-main/app/job-process.ts) on a node, talking through its
 * job folder; a sweep's members go as one job array.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SlurmJobInfo } from '../common/contract/slurm.ts';
import { jobProcessEntry } from '../core/jobs/fork-launcher.ts';
import type { RemoteJobHooks, RemoteLauncher, StartJob } from '../core/jobs/protocol.ts';
import type { Workspace } from '../core/workspace.ts';
import type { SlurmTools } from './commands.ts';
import type { ChannelOffsets } from './host-channel.ts';
import type { SlurmJobView } from './job-state.ts';
import { getProfile } from './profiles.ts';
import { preflightSubmission } from './submit.ts';
import { findSlurmCommand, missingCommandError } from './commands.ts';
import { SlurmJobHandle, type SlurmJobHandleOptions } from './slurm-job-handle.ts';

export interface SlurmLauncherOptions {
  /** The job process's argv on the node; default: this installation's job-process entry under this Node. */
  command?: string[];
  journalPollMs?: number;
  queuePollMs?: number;
  tools?: SlurmTools;
}

/**
 * The job process entry as a node runs it: absolute paths only (the batch
 * script runs in the job folder), and the TypeScript loader by its file when
 * running from source.
 */
export function nodeJobCommand(): string[] {
  const entry = jobProcessEntry();
  const require = createRequire(import.meta.url);
  const execArgv = entry.execArgv.map((arg) => (arg === 'tsx' ? pathToFileURL(require.resolve('tsx')).href : arg));
  return [process.execPath, ...execArgv, entry.file];
}

/** The job row's view of a Slurm job. */
export function slurmInfo(profile: string, view: SlurmJobView): SlurmJobInfo {
  return {
    profile,
    slurmJobId: view.slurmJobId,
    phase: view.phase,
    reason: view.phase === 'pending' ? view.reason : null,
    node: view.phase === 'running' ? view.node : view.phase === 'ended' ? (view.end?.node ?? null) : null,
    elapsedSeconds: view.phase === 'running' ? view.elapsedSeconds : null,
    limitSeconds: view.phase === 'ended' ? null : view.limitSeconds,
  };
}

export function createSlurmLauncher(ws: Workspace, options: SlurmLauncherOptions = {}): RemoteLauncher {
  const handleOptions = (profileName: string, jobId: number, env: Record<string, string>, hooks: RemoteJobHooks): SlurmJobHandleOptions => {
    const profile = getProfile(ws, profileName);
    let last = '';
    return {
      profile,
      command: options.command ?? nodeJobCommand(),
      // Under Electron, execPath is the Electron binary: it runs the job process as plain Node.
      env: process.versions.electron ? { ...env, ELECTRON_RUN_AS_NODE: '1' } : env,
      journalPollMs: options.journalPollMs,
      queuePollMs: options.queuePollMs,
      tools: options.tools,
      onView: (view) => {
        const info = slurmInfo(profileName, view);
        // Elapsed time changes every poll; the row is written when something else does too.
        const key = JSON.stringify({ ...info, elapsedSeconds: null });
        if (key === last) return;
        last = key;
        hooks.onState(jobId, info);
      },
      onOffsets: (offsets: ChannelOffsets) => hooks.onOffsets(jobId, offsets),
      // The messages' effects, their record answers and the restart point land together.
      applyBatch: (apply) => ws.transaction(apply),
    };
  };
  return {
    checkSync(target) {
      const profile = getProfile(ws, target);
      const tools = options.tools ?? { binDir: profile.binDir };
      if (!findSlurmCommand('sbatch', tools)) throw missingCommandError('sbatch', tools);
    },
    async check(target) {
      this.checkSync(target);
      const profile = getProfile(ws, target);
      await preflightSubmission(profile, [path.dirname(ws.jobDir(1))], options.tools ?? { binDir: profile.binDir });
    },
    launch(target, starts: StartJob[], env, hooks) {
      if (starts.length === 1) {
        const start = starts[0]!;
        const handle = new SlurmJobHandle(handleOptions(target, start.jobId, env, hooks));
        // After the manager has added its listeners (launch returns first).
        setImmediate(() => handle.send(start));
        return [handle];
      }
      return SlurmJobHandle.array(starts, (i) => handleOptions(target, starts[i]!.jobId, env, hooks));
    },
    attach(target, job, hooks) {
      const state = job.state as SlurmJobInfo | null;
      if (!state?.slurmJobId) return null;
      let opts: SlurmJobHandleOptions;
      try {
        opts = handleOptions(target, job.id, {}, hooks);
      } catch {
        return null;
      }
      const offsets = (job.offsets as ChannelOffsets | null) ?? { fromJob: 0, output: 0 };
      return SlurmJobHandle.attach(job.jobDir, state.slurmJobId, offsets, opts);
    },
  };
}
