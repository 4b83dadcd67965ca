import WebSocket from 'ws';
import type { CallName, Envelope, EventMap, JobSummary, Req, Res } from '../../common/contract/index.ts';
import type { CliRuntime } from './cli-types.ts';
import { resolveOn } from './job-options.ts';
import { CliError, refusedCall } from './cli-errors.ts';
import { progressLine } from './progress-line.ts';

class HostUnreachableError extends CliError {}

/** How often a job is polled while its events are quiet, and how many failed polls in a row mean the host is gone. */
const pollMs = 1000;
const lostAfterFailures = 3;

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
      throw new HostUnreachableError(`Cannot reach the workbench host at ${baseUrl}: ${(err as Error).message}`);
    }
    // A host that restarted (same port, new token) no longer knows this CLI.
    if (res.status === 401 || res.status === 403) throw new HostUnreachableError(`The workbench host at ${baseUrl} no longer accepts this CLI's token (it was restarted).`);
    const envelope = (await res.json()) as Envelope<Res<K>>;
    if (!envelope.ok) throw refusedCall(envelope.error);
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
      const events = openEvents();
      let submitted: JobSummary;
      try {
        submitted = await call('jobs.submit', { kind, params, backend: opts.backend as 'auto' | undefined, runOn: await resolveOn({ call }, opts.on) });
      } catch (err) {
        // A refused submit (bad path, bad field) must not leave the socket holding the process open.
        events.terminate();
        throw err;
      }
      info(`Job ${submitted.id} (${submitted.title}) queued on the running workbench host.`);
      return follow(submitted.id, events);
    },
    followJob(id) {
      return follow(id, openEvents());
    },
  };

  function openEvents(): WebSocket {
    const events = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/events?token=${token}`);
    events.on('error', () => undefined);
    return events;
  }

  /**
   * Follows a job on the host until it ends. The host can die meanwhile: a
   * closed event socket is checked at once, and polls that fail a few times in
   * a row (connection refused, or a restarted host refusing the old token)
   * end the wait with one line that says how to continue.
   */
  async function follow(id: number, events: WebSocket): Promise<JobSummary & { result: unknown }> {
      const final = await new Promise<JobSummary>((resolve, reject) => {
        const finalStates = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
        let failures = 0;
        let settled = false;
        const check = (): void => {
          call('jobs.get', { id }).then(
            (j) => {
              failures = 0;
              if (finalStates.has(j.status)) done(j);
            },
            (err: unknown) => {
              if (!(err instanceof HostUnreachableError)) return;
              if (++failures >= lostAfterFailures) lost();
            },
          );
        };
        // Events give live progress; a poll covers a missed event, a dropped socket and a dead host.
        const poll = setInterval(check, pollMs);
        const stop = (): void => {
          settled = true;
          clearInterval(poll);
          events.removeAllListeners('close');
          events.terminate();
        };
        const done = (summary: JobSummary): void => {
          if (settled) return;
          stop();
          resolve(summary);
        };
        const lost = (): void => {
          if (settled) return;
          stop();
          reject(new CliError(`Lost the workbench host at ${baseUrl} (it stopped or restarted); job ${id} did not finish there. Continue it with \`workbench jobs resume ${id}\`.`));
        };
        events.on('close', check);
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
  }
}
