/**
 * The Slurm launcher the JobManager is handed (core/jobs/protocol.ts,
 * RemoteLauncher): a job whose `runOn` is `{ slurm: profile }` runs the same
 * job process (src-main/app/job-process.ts) on a node, talking through its
 * job folder; a sweep's members go as one job array.
 */
import path from 'node:path';
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
import { ApiError } from '../common/contract/errors.ts';
import type { SlurmProfile } from './profile.ts';
import { checkExternalInputs, checkJobRoot, checkKindOnJobRoot, JobRootLanding, localPathReason, planInputs, stageDirFor, stagedJobDir, stageJob, workspaceKey } from './job-root.ts';

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
 * running from source (jobProcessEntry gives it by file URL).
 */
export function nodeJobCommand(): string[] {
  const entry = jobProcessEntry();
  return [process.execPath, ...entry.execArgv, entry.file];
}

/** The job row's view of a Slurm job; `stagedAt`: its tree on the profile's jobRoot, if it has one. */
export function slurmInfo(profile: string, view: SlurmJobView, stagedAt: string | null = null): SlurmJobInfo {
  return {
    stagedAt,
    profile,
    slurmJobId: view.slurmJobId,
    phase: view.phase,
    reason: view.phase === 'pending' ? view.reason : null,
    node: view.phase === 'running' ? view.node : view.phase === 'ended' ? (view.end?.node ?? null) : null,
    elapsedSeconds: view.phase === 'running' ? view.elapsedSeconds : null,
    limitSeconds: view.phase === 'ended' ? null : view.limitSeconds,
  };
}

/**
 * Where a job runs on the node: in the workspace's own job folder, or (the
 * profile has a jobRoot) in its own tree there, with the start message's
 * folders those of the tree and what the host needs to stage and land it.
 */
function placeJob(ws: Workspace, profile: SlurmProfile, start: StartJob): { start: StartJob; stagedAt: string | null; landing?: JobRootLanding; prepare?: () => Promise<void> } {
  if (!profile.jobRoot) return { start, stagedAt: null };
  const stageDir = stageDirFor(profile.jobRoot, ws.dir, start.jobId);
  const plan = planInputs(ws, start.params, start.resume?.fromJobId ?? null);
  checkExternalInputs(plan, profile);
  return {
    start: {
      ...start,
      workspaceDir: stageDir,
      jobDir: stagedJobDir(stageDir, start.jobId),
      resume: start.resume ? { fromJobId: start.resume.fromJobId, fromJobDir: stagedJobDir(stageDir, start.resume.fromJobId) } : null,
    },
    stagedAt: stageDir,
    landing: new JobRootLanding(stageDir, ws.dir, start.jobId, plan.stage),
    prepare: () => stageJob(ws, stageDir, start.jobId, plan),
  };
}

/** The workbench installation the node runs must be where the nodes see it. */
function checkInstallationVisible(command: readonly string[], profile: SlurmProfile): void {
  for (const file of command.filter((c) => path.isAbsolute(c))) {
    const why = localPathReason(file, profile);
    if (why) throw new ApiError('invalid_request', `The workbench the nodes would run (${file}) cannot be seen from them: ${why}. Install the workbench on storage the nodes share.`, 'profile.localPaths');
  }
}

export function createSlurmLauncher(ws: Workspace, options: SlurmLauncherOptions = {}): RemoteLauncher {
  const handleOptions = (profileName: string, jobId: number, env: Record<string, string>, hooks: RemoteJobHooks, stagedAt: string | null = null): SlurmJobHandleOptions => {
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
        const info = slurmInfo(profileName, view, stagedAt);
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
    checkSync(target, job) {
      const profile = getProfile(ws, target);
      const tools = options.tools ?? { binDir: profile.binDir };
      if (!findSlurmCommand('sbatch', tools)) throw missingCommandError('sbatch', tools);
      checkJobRoot(profile);
      if (job) {
        checkKindOnJobRoot(job.kind, profile);
        checkExternalInputs(planInputs(ws, job.params, job.parentJobId), profile);
      }
    },
    async check(target) {
      this.checkSync(target);
      const profile = getProfile(ws, target);
      checkInstallationVisible(options.command ?? nodeJobCommand(), profile);
      const jobFolders = profile.jobRoot ? path.join(profile.jobRoot, workspaceKey(ws.dir)) : path.dirname(ws.jobDir(1));
      await preflightSubmission(profile, [jobFolders], options.tools ?? { binDir: profile.binDir });
    },
    launch(target, starts: StartJob[], env, hooks) {
      const profile = getProfile(ws, target);
      const placed = starts.map((s) => placeJob(ws, profile, s));
      const optionsFor = (i: number): SlurmJobHandleOptions => ({
        ...handleOptions(target, starts[i]!.jobId, env, hooks, placed[i]!.stagedAt),
        landing: placed[i]!.landing,
        prepare: placed[i]!.prepare,
      });
      if (starts.length === 1) {
        const handle = new SlurmJobHandle(optionsFor(0));
        // After the manager has added its listeners (launch returns first).
        setImmediate(() => handle.send(placed[0]!.start));
        return [handle];
      }
      return SlurmJobHandle.array(
        placed.map((p) => p.start),
        optionsFor,
      );
    },
    attach(target, job, hooks) {
      const state = job.state as SlurmJobInfo | null;
      if (!state?.slurmJobId) return null;
      let opts: SlurmJobHandleOptions;
      const stagedAt = state.stagedAt ?? null;
      try {
        opts = handleOptions(target, job.id, {}, hooks, stagedAt);
      } catch {
        return null;
      }
      const offsets = (job.offsets as ChannelOffsets | null) ?? { fromJob: 0, output: 0 };
      if (!stagedAt) return SlurmJobHandle.attach(job.jobDir, state.slurmJobId, offsets, opts);
      // On jobRoot: the channel is in the job's tree, and what it writes lands as before the restart.
      const landing = JobRootLanding.load(stagedAt);
      if (!landing) return null;
      return SlurmJobHandle.attach(stagedJobDir(stagedAt, job.id), state.slurmJobId, offsets, { ...opts, landing });
    },
  };
}
