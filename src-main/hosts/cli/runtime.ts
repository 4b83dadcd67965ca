import type { CallName, Req, Res, JobSummary, Envelope } from '../../common/contract/index.ts';
import { ApiError } from '../../common/contract/errors.ts';
import { openCore, type WorkbenchCore } from '../../app/open-core.ts';
import type { CliRuntime } from './cli-types.ts';
import { resolveOn } from './job-options.ts';
import { CliError, refusedCall } from './cli-errors.ts';
import { progressLine } from './progress-line.ts';
import { WorkspaceBusyError } from '../../core/host-lock.ts';
import { createRemoteRuntime } from './remote-runtime.ts';


function unwrap<T>(envelope: Envelope<unknown>): T {
  if (!envelope.ok) throw refusedCall(envelope.error);
  return envelope.result as T;
}


/**
 * The CLI drives the same services in-process, opening the workspace as its
 * writer; when a browser host already holds the workspace, its calls go there.
 */
export function createRuntime(options: { workspace?: string; json: boolean }): { runtime: CliRuntime; core: WorkbenchCore | null } {
  let core: WorkbenchCore;
  try {
    core = openCore({ workspaceDir: options.workspace });
  } catch (err) {
    if (err instanceof WorkspaceBusyError && err.holder.url && err.holder.token) {
      return { runtime: createRemoteRuntime(err.holder.url, err.holder.token, options.json), core: null };
    }
    throw err;
  }
  const json = options.json;
  const call = async <K extends CallName>(name: K, request: Req<K>): Promise<Res<K>> => unwrap<Res<K>>(await core.dispatch(name, request));
  const info = (line: string): void => {
    if (!json) process.stderr.write(line + '\n');
  };
  const runtime: CliRuntime = {
    json,
    call,
    info,
    output(data, human) {
      process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
    },
    async runJob(kind, params, opts = {}) {
      const submitted = await call('jobs.submit', { kind, params, backend: opts.backend as 'auto' | undefined, runOn: await resolveOn({ call }, opts.on) });
      info(`Job ${submitted.id} (${submitted.title}) queued.`);
      return runtime.followJob(submitted.id);
    },
    // This process is the host: it runs the job until it ends (leaving earlier would leave it interrupted).
    async followJob(id) {
      const isTty = process.stderr.isTTY && !json;
      const offProgress = core.ctx.events.on('job.progress', ({ id: jobId, progress }) => {
        if (jobId !== id || json) return;
        if (isTty) process.stderr.write(`\r${progressLine(progress).padEnd(100)}`);
      });
      const offLog = core.ctx.events.on('job.log', ({ id: jobId, line, level }) => {
        if (jobId !== id || json) return;
        process.stderr.write(`${isTty ? '\r' : ''}  [${level}] ${line}\n`);
      });
      const onSigint = (): void => {
        info('\nCancelling...');
        try {
          core.ctx.jobs.cancel(id);
        } catch {
          // already finished
        }
      };
      process.on('SIGINT', onSigint);
      let final: JobSummary;
      try {
        final = await core.ctx.jobs.waitFor(id);
      } finally {
        offProgress();
        offLog();
        process.off('SIGINT', onSigint);
        if (isTty) process.stderr.write('\n');
      }
      const detail = await call('jobs.get', { id });
      if (final.status !== 'succeeded') {
        throw new CliError(`Job ${id} ${final.status}${final.error ? `: ${final.error}` : '.'}`);
      }
      return { ...final, result: detail.result };
    },
  };
  return { runtime, core };
}

export { ApiError, CliError };
