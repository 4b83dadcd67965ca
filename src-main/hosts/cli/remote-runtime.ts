import WebSocket from 'ws';
import type { CallName, Envelope, EventMap, JobSummary, Req, Res } from '../../common/contract/index.ts';
import type { CliRuntime } from './cli-types.ts';
import { resolveOn } from './job-options.ts';
import { CliError } from './cli-errors.ts';
import { progressLine } from './progress-line.ts';

/**
 * The CLI when a browser host already holds the workspace: the same calls go to
 * that host over HTTP, so there is still only one process writing the database.
 */
export function createRemoteRuntime(baseUrl: string, token: string, json: boolean): CliRuntime {
  const call = async <K extends CallName>(name: K, request: Req<K>): Promise<Res<K>> => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/api/call/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
    } catch (err) {
      throw new CliError(`Cannot reach the workbench host at ${baseUrl}: ${(err as Error).message}`);
    }
    const envelope = (await res.json()) as Envelope<Res<K>>;
    if (!envelope.ok) throw new CliError(`${envelope.error.message}${envelope.error.field ? ` (field ${envelope.error.field})` : ''}`);
    return envelope.result;
  };
  const info = (line: string): void => {
    if (!json) process.stderr.write(line + '\n');
  };
  return {
    json,
    call,
    info,
    output(data, human) {
      process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
    },
    async runJob(kind, params, opts = {}) {
      // Opened before the submit so no event of the new job is missed.
      const events = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/events?token=${token}`);
      events.on('error', () => undefined);
      let submitted: JobSummary;
      try {
        submitted = await call('jobs.submit', { kind, params, backend: opts.backend as 'auto' | undefined, runOn: await resolveOn({ call }, opts.on) });
      } catch (err) {
        // A refused submit (bad path, bad field) must not leave the socket holding the process open.
        events.terminate();
        throw err;
      }
      const id = submitted.id;
      info(`Job ${id} (${submitted.title}) queued on the running workbench host.`);
      const final = await new Promise<JobSummary>((resolve) => {
        const finalStates = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
        // Events give live progress; a slow poll covers a missed event or a dropped socket.
        const poll = setInterval(() => {
          void call('jobs.get', { id }).then((j) => finalStates.has(j.status) && done(j), () => undefined);
        }, 2000);
        const done = (summary: JobSummary): void => {
          clearInterval(poll);
          events.close();
          resolve(summary);
        };
        events.on('message', (data) => {
          const message = JSON.parse(String(data)) as { event: keyof EventMap; payload: unknown };
          if (message.event === 'job.progress') {
            const p = message.payload as EventMap['job.progress'];
            if (p.id === id && !json && process.stderr.isTTY) process.stderr.write(`\r${progressLine(p.progress).padEnd(100)}`);
          } else if (message.event === 'job.updated') {
            const s = message.payload as JobSummary;
            if (s.id === id && finalStates.has(s.status)) done(s);
          }
        });
      });
      if (!json && process.stderr.isTTY) process.stderr.write('\n');
      const detail = await call('jobs.get', { id });
      if (final.status !== 'succeeded') throw new CliError(`Job ${id} ${final.status}${final.error ? `: ${final.error}` : '.'}`);
      return { ...final, result: detail.result };
    },
  };
}
