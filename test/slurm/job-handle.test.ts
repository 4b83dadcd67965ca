/**
 * SlurmJobHandle on the real cluster: the JobProcessHandle a launcher gives the
 * JobManager, driven here the way the manager drives a local job process
 * ('start', answering records, 'cancel'), including a host restart in the
 * middle of a running job. Skipped with the reason without a cluster, failing
 * under CI.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FromJob } from '../../src-main/core/jobs/protocol.ts';
import type { ChannelOffsets } from '../../src-main/slurm/host-channel.ts';
import type { SlurmJobView } from '../../src-main/slurm/job-state.ts';
import { SlurmJobHandle, type SlurmJobHandleOptions } from '../../src-main/slurm/slurm-job-handle.ts';
import { cancelJob } from '../../src-main/slurm/submit.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { slurmMissingReason, testProfile, waitUntil, workloadCommand } from './cluster.ts';

const missing = slurmMissingReason();
if (missing && process.env.CI) throw new Error(`the Slurm cluster is required under CI: ${missing}`);
if (missing) process.stdout.write(`slurm job-handle tests: skipped, ${missing}\n`);

interface Recorded {
  messages: FromJob[];
  output: string[];
  views: SlurmJobView[];
  exit: { code: number | null; signal: string | null } | null;
  offsets: ChannelOffsets | null;
}

/** Wires a handle the way the JobManager does: records everything, answers record requests. */
function drive(handle: SlurmJobHandle, rec: Recorded): void {
  handles.push(handle);
  handle.onMessage((m) => {
    rec.messages.push(m);
    if (m.type === 'record') handle.send({ type: 'record-result', requestId: m.requestId, ok: true, value: { artifactId: 42 } });
  });
  handle.onOutput((_stream, line) => rec.output.push(line));
  handle.onExit((code, signal) => (rec.exit = { code, signal }));
}

/** Every handle made, its job cancelled at the end so a failed test leaves nothing running on the shared cluster. */
const handles: SlurmJobHandle[] = [];

function recorder(): Recorded {
  return { messages: [], output: [], views: [], exit: null, offsets: null };
}

describe.skipIf(missing !== null)('SlurmJobHandle (JobProcessHandle over Slurm)', () => {
  let root: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir: root, cleanup } = tempDir('wb-slurm-handle-')));
  afterAll(async () => {
    for (const h of handles) {
      h.detach();
      if (h.slurmJobId) await cancelJob(h.slurmJobId);
    }
    cleanup?.();
  });

  function options(rec: Recorded, overrides: Partial<SlurmJobHandleOptions> = {}): SlurmJobHandleOptions {
    return {
      profile: testProfile(),
      command: workloadCommand(),
      journalPollMs: 200,
      queuePollMs: 1000,
      onView: (v) => rec.views.push(v),
      onOffsets: (o) => (rec.offsets = o),
      ...overrides,
    };
  }

  function start(id: number, params: Record<string, unknown>) {
    const jobDir = path.join(root, 'jobs', String(id));
    mkdirSync(jobDir, { recursive: true });
    return { type: 'start' as const, jobId: id, kind: 'slurm-test', params, workspaceDir: root, jobDir, resume: null };
  }

  it('start submits; messages, a record answer and the exit come as from a local job process', async () => {
    const rec = recorder();
    const handle = new SlurmJobHandle(options(rec));
    drive(handle, rec);
    handle.send(start(1, { steps: 4, stepMs: 300, record: true }));
    await waitUntil(() => rec.exit ?? undefined, 'the exit', 60_000, () => rec.views.at(-1));
    expect(rec.exit).toEqual({ code: 0, signal: null });
    expect(handle.slurmJobId).toMatch(/^\d+$/);
    expect(rec.views.some((v) => v.phase === 'running' && v.node)).toBe(true);
    expect(rec.messages).toContainEqual({ type: 'log', level: 'info', line: 'record answered {"artifactId":42}' });
    expect(rec.messages.at(-1)).toEqual({ type: 'done', result: { steps: 4, stopSignal: null } });
    expect(rec.output).toContain('plain stdout line from the workload');
  });

  it('cancel of a job still pending scancels it and reports it cancelled', async () => {
    const rec = recorder();
    const handle = new SlurmJobHandle(options(rec, { profile: testProfile({ extraArgs: ['--begin=now+1hour'] }) }));
    drive(handle, rec);
    handle.send(start(2, { steps: 1, stepMs: 1 }));
    await waitUntil(() => (handle.view?.phase === 'pending' ? handle.view : undefined), 'the pending view', 30_000);
    expect(handle.view).toMatchObject({ reason: 'BeginTime' });
    handle.send({ type: 'cancel' });
    await waitUntil(() => rec.exit ?? undefined, 'the exit', 30_000);
    expect(rec.messages).toEqual([{ type: 'failed', message: expect.stringMatching(/cancelled before it started/), cancelled: true }]);
  });

  it('a refused submission fails the job with the message naming the field', async () => {
    const rec = recorder();
    const handle = new SlurmJobHandle(options(rec, { profile: testProfile({ partition: 'gpu-big' }) }));
    drive(handle, rec);
    handle.send(start(3, { steps: 1, stepMs: 1 }));
    await waitUntil(() => rec.exit ?? undefined, 'the exit', 30_000);
    expect(rec.exit).toEqual({ code: 1, signal: null });
    expect(rec.messages).toEqual([{ type: 'failed', message: expect.stringMatching(/no partition "gpu-big".*profile's partition/), cancelled: false }]);
  });

  it('a host restart mid-job resumes from the stored offsets: every message once, none lost', async () => {
    const first = recorder();
    const a = new SlurmJobHandle(options(first));
    drive(a, first);
    const steps = 20;
    a.send(start(4, { steps, stepMs: 150 }));
    await waitUntil(() => (first.messages.filter((m) => m.type === 'progress').length >= 3 ? true : undefined), 'a few steps', 60_000);
    a.detach(); // the host stops; the Slurm job runs on
    const stored = first.offsets!;
    await new Promise((r) => setTimeout(r, 800)); // messages written while no host follows
    const second = recorder();
    const b = SlurmJobHandle.attach(path.join(root, 'jobs', '4'), a.slurmJobId!, stored, options(second));
    drive(b, second);
    await waitUntil(() => second.exit ?? undefined, 'the exit', 60_000);
    const all = [...first.messages, ...second.messages];
    const fractions = all.filter((m) => m.type === 'progress').map((m) => (m as Extract<FromJob, { type: 'progress' }>).progress.fraction);
    expect(fractions).toEqual(Array.from({ length: steps }, (_, i) => (i + 1) / steps));
    expect(all.filter((m) => m.type === 'done')).toHaveLength(1);
    expect(second.exit).toEqual({ code: 0, signal: null });
  });
});
