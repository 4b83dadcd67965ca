/**
 * The folder channel without a cluster: the journal under partial writes, torn
 * lines and host restarts, and the host and node ends talking through real
 * files (start, progress, record answered, cancel, timeouts, attempts).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FromJob, ToJob } from '../../src-main/core/jobs/protocol.ts';
import { HostChannel, type StartMessage } from '../../src-main/slurm/host-channel.ts';
import { encodeLine, JournalFollower, JournalWriter, LineFollower } from '../../src-main/slurm/journal.ts';
import { NodeChannel } from '../../src-main/slurm/node-channel.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function folder(): string {
  const t = tempDir('wb-slurm-journal-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function start(jobDir: string): StartMessage {
  return { type: 'start', jobId: 7, kind: 'test', params: { n: 1 }, workspaceDir: '/ws', jobDir, resume: null };
}

const progress = (i: number): FromJob => ({ type: 'progress', progress: { fraction: i / 10, step: `step ${i} — ünïcode` } });

async function until<T>(read: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('journal', () => {
  it('returns only complete lines, byte by byte, and resumes after a restart without loss or repeats', () => {
    const file = path.join(folder(), 'from-job.jsonl');
    const lines = Array.from({ length: 6 }, (_, i) => encodeLine({ attempt: 0, t: i, message: progress(i) }));
    const bytes = Buffer.from(lines.join(''));
    let follower = new JournalFollower<FromJob>(file);
    expect(follower.read().entries).toEqual([]); // not there yet
    const seen: FromJob[] = [];
    let stored = 0;
    // Written one byte at a time; read after every byte; the host "restarts" (a
    // new follower from the stored offset) every 17 bytes.
    for (let i = 0; i < bytes.length; i++) {
      appendFileSync(file, bytes.subarray(i, i + 1));
      for (const e of follower.read().entries) {
        seen.push(e.message);
        stored = e.end;
      }
      if (i % 17 === 0) follower = new JournalFollower<FromJob>(file, stored);
    }
    expect(seen).toEqual(lines.map((_, i) => progress(i)));
    expect(stored).toBe(bytes.length);
  });

  it('a writer after a crash ends the torn line; the reader skips it and keeps what follows', () => {
    const file = path.join(folder(), 'from-job.jsonl');
    new JournalWriter<FromJob>(file, 0).append(progress(1));
    appendFileSync(file, '{"attempt":0,"t":1,"message":{"type":"prog'); // killed mid-line
    new JournalWriter<FromJob>(file, 1).append(progress(2)); // the requeued attempt
    const { entries, skipped } = new JournalFollower<FromJob>(file).read();
    expect(entries.map((e) => [e.attempt, e.message])).toEqual([
      [0, progress(1)],
      [1, progress(2)],
    ]);
    expect(skipped).toHaveLength(1);
  });

  it('keeps NaN and infinities, which JSON alone turns into null', () => {
    const file = path.join(folder(), 'from-job.jsonl');
    const metrics: FromJob = { type: 'metrics', points: [{ step: 1, epoch: null, name: 'loss', value: Number.NaN }, { step: 2, epoch: 1, name: 'x', value: -Infinity }] };
    new JournalWriter<FromJob>(file, 0).append(metrics);
    expect(new JournalFollower<FromJob>(file).read().entries[0]!.message).toEqual(metrics);
  });

  it('refuses a journal that shrank (replaced, not appended to)', () => {
    const file = path.join(folder(), 'out.log');
    writeFileSync(file, 'a\nb\n');
    const f = new LineFollower(file);
    expect(f.read().map((l) => l.text)).toEqual(['a', 'b']);
    writeFileSync(file, 'c\n');
    expect(() => f.read()).toThrow(/shorter/);
  });

  it('flush returns the last line without newline once the writer is gone', () => {
    const file = path.join(folder(), 'out.log');
    writeFileSync(file, 'one\ntwo');
    const f = new LineFollower(file);
    expect(f.read().map((l) => l.text)).toEqual(['one']);
    expect(f.flush().map((l) => l.text)).toEqual(['two']);
    expect(f.offset).toBe(7);
  });
});

describe('host and node channels over the job folder', () => {
  function pair(options: { recordTimeoutMs?: number } = {}) {
    const jobDir = folder();
    const host = HostChannel.create(jobDir, start(jobDir));
    const node = new NodeChannel(jobDir, 0, { pollMs: 10, handleSignals: false, ...options });
    const received: ToJob[] = [];
    node.onMessage((m) => received.push(m));
    cleanups.push(() => node.close());
    return { jobDir, host, node, received };
  }

  it('carries start, FromJob messages, a record answered by the host, and cancel', async () => {
    const { jobDir, host, node, received } = pair();
    await until(() => received.find((m) => m.type === 'start'), 'start');
    expect(received[0]).toEqual(start(jobDir));
    await node.send(progress(1));
    await node.send({ type: 'record', requestId: 1, recordType: 'checkpoint', payload: { epoch: 1 } });
    const { entries } = host.readMessages();
    expect(entries.map((e) => e.message.type)).toEqual(['progress', 'record']);
    const request = entries[1]!;
    expect(host.hasReply(request.attempt!, 1)).toBe(false);
    host.reply(request.attempt!, { type: 'record-result', requestId: 1, ok: true, value: { artifactId: 3 } });
    expect(host.hasReply(0, 1)).toBe(true);
    const answer = await until(() => received.find((m) => m.type === 'record-result'), 'the answer');
    expect(answer).toEqual({ type: 'record-result', requestId: 1, ok: true, value: { artifactId: 3 } });
    host.send({ type: 'cancel' });
    await until(() => received.find((m) => m.type === 'cancel'), 'cancel');
    expect(() => HostChannel.create(jobDir, start(jobDir))).toThrow(/already holds a start message/);
  });

  it('a record the host never answers fails after the timeout; a Slurm signal fails it at once', async () => {
    const { node, received } = pair({ recordTimeoutMs: 100 });
    await node.send({ type: 'record', requestId: 1, recordType: 'x', payload: null });
    const timedOut = await until(() => received.find((m) => m.type === 'record-result'), 'the timeout');
    expect(timedOut).toMatchObject({ ok: false, message: expect.stringMatching(/did not answer/) });
    const other = pair();
    await other.node.send({ type: 'record', requestId: 1, recordType: 'x', payload: null });
    other.node.stop('SIGUSR2');
    expect(other.received.filter((m) => m.type === 'cancel')).toHaveLength(1);
    expect(other.received.find((m) => m.type === 'record-result')).toMatchObject({ ok: false, message: expect.stringMatching(/SIGUSR2/) });
    expect(other.node.stopSignal).toBe('SIGUSR2');
  });

  it('a requeued attempt gets start again but not the answers meant for the attempt before', async () => {
    const { jobDir, host, node } = pair();
    await node.send({ type: 'record', requestId: 1, recordType: 'x', payload: 'first' });
    host.reply(0, { type: 'record-result', requestId: 1, ok: true, value: 'for attempt 0' });
    node.close();
    const second = new NodeChannel(jobDir, 1, { pollMs: 10, handleSignals: false });
    cleanups.push(() => second.close());
    const got: ToJob[] = [];
    second.onMessage((m) => got.push(m));
    await second.send({ type: 'record', requestId: 1, recordType: 'x', payload: 'second' });
    await until(() => got.find((m) => m.type === 'start'), 'start');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.some((m) => m.type === 'record-result')).toBe(false);
    host.reply(1, { type: 'record-result', requestId: 1, ok: true, value: 'for attempt 1' });
    expect(await until(() => got.find((m) => m.type === 'record-result'), 'the answer')).toMatchObject({ value: 'for attempt 1' });
    const attempts = host.readMessages().entries.map((e) => [e.attempt, (e.message as Extract<FromJob, { type: 'record' }>).payload]);
    expect(attempts).toEqual([
      [0, 'first'],
      [1, 'second'],
    ]);
    expect(readFileSync(host.files.toJob, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
