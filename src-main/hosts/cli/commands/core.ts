import type { Command } from 'commander';
import type { JobSummary } from '../../../common/contract/index.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP, resolveOn } from '../job-options.ts';
import { openCore } from '../../../app/open-core.ts';
import { startBrowserHost } from '../../http/server.ts';
import { keepWorkspaceOpen } from '../main.ts';
import { formatTable, pct } from '../format.ts';
import { jobDetailText } from '../job-text.ts';

/** Where a job runs, as one cell: "local", or the Slurm profile, job id and what Slurm says (pending reason, node). */
export function placeText(j: JobSummary): string {
  if (j.runOn === 'local') return 'local';
  const s = j.slurm;
  if (!s) return `slurm:${j.runOn.slurm}`;
  const state = s.phase === 'pending' ? `pending${s.reason ? ` (${s.reason})` : ''}` : s.phase === 'running' ? `on ${s.node ?? '?'}` : s.phase;
  return `slurm:${s.profile} ${s.slurmJobId ?? ''} ${state}`.replace(/\s+/g, ' ').trim();
}

function jobsTable(jobs: JobSummary[]): string {
  if (jobs.length === 0) return 'No jobs yet.';
  return formatTable(
    ['id', 'kind', 'status', 'where', 'progress', 'created', 'title'],
    jobs.map((j) => [
      String(j.id),
      j.kind,
      j.status,
      placeText(j),
      j.progress?.fraction != null ? pct(j.progress.fraction, 0) : '',
      j.createdAt.replace('T', ' ').slice(0, 19),
      j.title,
    ]),
  );
}

function parseId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new Error(`"${value}" is not a job id (a positive integer).`);
  return id;
}

/** serve, workspace info/verify, jobs list/show/cancel/resume. */
export const registerCoreCommands: RegisterCommands = (program: Command, runtime) => {
  program
    .command('serve')
    .description('Start the browser host on 127.0.0.1 and print its URL with the access token.')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8719')
    .action(async (opts: { port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, not "${opts.port}".`);
      const global = program.opts<{ workspace?: string; json?: boolean }>();
      const core = openCore({ workspaceDir: global.workspace, host: 'browser' });
      let host;
      try {
        host = await startBrowserHost(core, { port });
      } catch (err) {
        await core.close();
        throw err;
      }
      // Other CLI invocations on this workspace send their calls here instead of opening a second writer.
      core.advertise({ url: `http://127.0.0.1:${host.port}`, token: host.token });
      keepWorkspaceOpen();
      if (global.json) process.stdout.write(JSON.stringify({ url: host.url, port: host.port, workspace: core.ctx.ws.dir }) + '\n');
      else {
        process.stdout.write(`Workbench browser host for workspace ${core.ctx.ws.dir}\n`);
        process.stdout.write(`Open ${host.url}\n`);
      }
      const stop = async (): Promise<void> => {
        await host.close();
        await core.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  const workspace = program.command('workspace').description('The workspace: database and artifacts.');
  workspace
    .command('info')
    .description('Where the workspace lives and what it holds.')
    .action(async () => {
      const rt = await runtime();
      const info = await rt.call('workspace.info', {});
      rt.output(info, () =>
        [
          `Workspace  ${info.dir}`,
          `Database   ${info.databasePath} (schema ${info.schemaVersion})`,
          `Artifacts  ${info.artifactsDir}`,
          `Holds      ${info.counts.datasets} datasets, ${info.counts.samples} samples, ${info.counts.models} models, ${info.counts.jobs} jobs, ${info.counts.artifacts} artifacts`,
          `Size       ${(info.sizeBytes / 2 ** 20).toFixed(1)} MiB`,
          `App        ${info.appVersion}`,
        ].join('\n'),
      );
    });
  workspace
    .command('verify')
    .description('Check every artifact against its recorded size and SHA-256 (a job).')
    .option('--on <where>', ON_HELP)
    .action(async (opts: { on?: string }) => {
      const rt = await runtime();
      const job = await rt.runJob('workspace.verify', {}, { on: opts.on });
      const result = job.result as { checked: number; problems: { path: string; problem: string }[]; orphans: { path: string; bytes: number; reason: string }[] };
      rt.output({ jobId: job.id, ...result }, () =>
        [
          result.problems.length === 0
            ? `All ${result.checked} artifacts are intact.`
            : [`${result.problems.length} problem(s) in ${result.checked} artifacts:`, ...result.problems.map((p) => `  ${p.path}: ${p.problem}`)].join('\n'),
          ...(result.orphans.length > 0
            ? [`${result.orphans.length} data folder(s) nothing refers to (removed when the workspace is next opened):`, ...result.orphans.map((o) => `  ${o.path}: ${o.reason}, ${o.bytes} bytes`)]
            : []),
        ].join('\n'),
      );
    });

  const jobs = program.command('jobs').description('Jobs: imports, training, pruning, exports, benchmarks.');
  jobs
    .command('list')
    .description('Jobs, newest first.')
    .option('--status <status>', 'only jobs in this state')
    .option('--kind <kind>', 'only jobs of this kind')
    .option('--sweep <id>', 'only the members of this sweep')
    .action(async (opts: { status?: string; kind?: string; sweep?: string }) => {
      const rt = await runtime();
      const list = await rt.call('jobs.list', { status: opts.status as JobSummary['status'] | undefined, kind: opts.kind, sweepId: opts.sweep });
      rt.output(list, () => jobsTable(list));
    });
  jobs
    .command('show <id>')
    .description('One job with its parameters, result and log.')
    .action(async (id: string) => {
      const rt = await runtime();
      const job = await rt.call('jobs.get', { id: parseId(id) });
      rt.output(job, () => jobDetailText(job, placeText(job)));
    });
  jobs
    .command('cancel <id>')
    .description('Cancel a queued or running job.')
    .action(async (id: string) => {
      const rt = await runtime();
      const job = await rt.call('jobs.cancel', { id: parseId(id) });
      rt.output(job, () =>
        job.status === 'running' ? `Cancel requested: job ${job.id} stops at its next check (see \`workbench jobs show ${job.id}\`).` : `Job ${job.id} is ${job.status}.`,
      );
    });
  jobs
    .command('resume <id>')
    .description('Continue an interrupted, cancelled or failed job from its last checkpoint, as a new job, and wait for it to end (as the job commands do).')
    .option('--on <where>', `${ON_HELP} (default: where it ran)`)
    .action(async (id: string, opts: { on?: string }) => {
      const rt = await runtime();
      const job = await rt.call('jobs.resume', { id: parseId(id), runOn: await resolveOn(rt, opts.on) });
      rt.info(`Job ${job.id} continues job ${id}.`);
      // Without a browser host this process is the host: it stays until the job ends, or the job would end interrupted.
      const final = await rt.followJob(job.id);
      rt.output(final, () => `Job ${final.id} (continuing job ${id}) ${final.status}.`);
    });
};
