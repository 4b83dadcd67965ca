/**
 * The Slurm building blocks against the real cluster (.ci/slurm-up.sh): real
 * sbatch/squeue/scontrol/scancel, a real workload on the node talking through
 * its job folder. Under CI a missing cluster FAILS; elsewhere these are skipped
 * with the reason.
 *
 * The time-limit job is submitted first and checked last: Slurm checks its
 * signals about once a minute, so its wait (measured 3-29 s after the start
 * with a 1-minute limit) overlaps the other tests.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { FromJob } from '../../src-main/core/jobs/protocol.ts';
import type { HostChannel } from '../../src-main/slurm/host-channel.ts';
import { slurmJobFiles, PROBE_MISSING_EXIT } from '../../src-main/slurm/job-folder.ts';
import { readAttempts, readJobView, readJobViews, type SlurmJobView } from '../../src-main/slurm/job-state.ts';
import { readJobDetail } from '../../src-main/slurm/queue.ts';
import { cancelJob, releaseJob, submitBatchJob as submitJob } from '../../src-main/slurm/submit.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { prepareJob, slurmMissingReason, testProfile, waitUntil, workloadCommand } from './cluster.ts';

const missing = slurmMissingReason();
if (missing && process.env.CI) throw new Error(`the Slurm cluster is required under CI: ${missing}`);
if (missing) process.stdout.write(`slurm cluster tests: skipped, ${missing}\n`);

type Ended = Extract<SlurmJobView, { phase: 'ended' }>;

/** Every job these tests submitted, cancelled at the end so a failed test leaves nothing running on the shared cluster. */
const submitted: string[] = [];
async function submitBatchJob(...args: Parameters<typeof submitJob>): ReturnType<typeof submitJob> {
  const sub = await submitJob(...args);
  submitted.push(sub.slurmJobId);
  return sub;
}

/** Plays the host: answers record requests, collects messages and output, until the job has ended. */
async function follow(id: string, host: HostChannel, timeoutMs: number): Promise<{ view: Ended; messages: FromJob[]; output: string[] }> {
  const messages: FromJob[] = [];
  const output: string[] = [];
  const drain = () => {
    for (const e of host.readMessages().entries) {
      messages.push(e.message);
      if (e.message.type === 'record') host.reply(e.attempt!, { type: 'record-result', requestId: e.message.requestId, ok: true, value: { stored: e.message.payload } });
    }
  };
  let last: SlurmJobView | null = null;
  const view = await waitUntil(
    async () => {
      drain();
      last = await readJobView(id, host.files);
      return last.phase === 'ended' ? last : undefined;
    },
    `job ${id} to end`,
    timeoutMs,
    () => last,
  );
  // Everything the job wrote before it ended is in the files by now.
  drain();
  output.push(...host.readOutput(true).map((l) => l.text));
  return { view, messages, output };
}

describe.skipIf(missing !== null)('Slurm building blocks on a real cluster', () => {
  let root: string;
  let cleanup: () => void;
  let timeLimited: { id: string; host: HostChannel; submittedAt: number };

  beforeAll(async () => {
    const tmp = tempDir('wb-slurm-');
    cleanup = tmp.cleanup;
    // A space and a % in the path: #SBATCH quoting and sbatch's %-patterns both meet it.
    root = path.join(tmp.dir, 'lab share 100%');
    const { jobDir, host } = prepareJob(root, 100, { steps: 10_000, stepMs: 100 });
    // A 1-minute limit, warned 30 s before (the shortest Slurm allows is a minute).
    const sub = await submitBatchJob(testProfile({ timeLimit: '1', signalSeconds: 30 }), { name: 'wb-test-time-limit', jobDirs: [jobDir], command: workloadCommand() });
    timeLimited = { id: sub.slurmJobId, host, submittedAt: Date.now() };
  });
  afterAll(async () => {
    for (const id of submitted) await cancelJob(id);
    cleanup?.();
  });

  it('a job goes pending (held), running (node, elapsed, limit) and completed; the journal carries its messages and a record the host answered', async () => {
    const { jobDir, host } = prepareJob(root, 1, { steps: 8, stepMs: 400, record: true });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-1', jobDirs: [jobDir], command: workloadCommand() }, { hold: true });
    expect(sub.memberIds).toEqual([sub.slurmJobId]);
    expect(await readJobView(sub.slurmJobId, host.files)).toEqual({ phase: 'pending', slurmJobId: sub.slurmJobId, reason: 'JobHeldUser', limitSeconds: 300 });
    await releaseJob(sub.slurmJobId);
    const running = await waitUntil(
      async () => {
        const v = await readJobView(sub.slurmJobId, host.files);
        return v.phase === 'running' ? v : undefined;
      },
      'the job to run',
      60_000,
    );
    expect(running).toMatchObject({ node: os.hostname().split('.')[0], limitSeconds: 300, slurmState: 'RUNNING' });
    expect(running.elapsedSeconds).toBeGreaterThanOrEqual(0);

    const { view, messages, output } = await follow(sub.slurmJobId, host, 60_000);
    expect(view).toMatchObject({ cause: 'completed', slurmState: 'COMPLETED', end: { exitCode: 0, signals: [], attempt: 0, slurmJobId: sub.slurmJobId } });
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('log');
    expect(types.at(-1)).toBe('done');
    expect(types.filter((t) => t === 'progress')).toHaveLength(8);
    expect(messages.find((m) => m.type === 'metrics')).toMatchObject({ points: [{ name: 'loss', value: Number.NaN }] });
    expect(messages.find((m) => m.type === 'record')).toEqual({ type: 'record', requestId: 1, recordType: 'checkpoint', payload: { epoch: 1 } });
    expect(messages).toContainEqual({ type: 'log', level: 'info', line: 'record answered {"stored":{"epoch":1}}' });
    expect(messages.at(-1)).toEqual({ type: 'done', result: { steps: 8, stopSignal: null } });
    expect(output).toContain('plain stdout line from the workload');
    expect(readAttempts(host.files)).toMatchObject([{ attempt: 0, slurmJobId: sub.slurmJobId }]);
  });

  it('a job cancelled while pending never starts', async () => {
    const { jobDir, host } = prepareJob(root, 2, { steps: 1, stepMs: 1 });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-2', jobDirs: [jobDir], command: workloadCommand() }, { begin: 'now+1hour' });
    expect(await readJobView(sub.slurmJobId, host.files)).toMatchObject({ phase: 'pending', reason: 'BeginTime' });
    await cancelJob(sub.slurmJobId);
    const view = await readJobView(sub.slurmJobId, host.files);
    expect(view).toMatchObject({ phase: 'ended', cause: 'cancelled', slurmState: 'CANCELLED', end: null });
    expect((view as Ended).message).toMatch(/before it started/);
    expect(readAttempts(host.files)).toEqual([]);
    expect(host.readMessages().entries).toEqual([]);
  });

  it('a job cancelled while running stops on SIGTERM by itself and ends cancelled', async () => {
    const { jobDir, host } = prepareJob(root, 3, { steps: 10_000, stepMs: 100 });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-3', jobDirs: [jobDir], command: workloadCommand() });
    const seen: FromJob[] = [];
    await waitUntil(() => (seen.push(...host.readMessages().entries.map((e) => e.message)), seen.find((m) => m.type === 'progress')), 'the first progress', 60_000);
    const cancelledAt = Date.now();
    await cancelJob(sub.slurmJobId);
    const { view, messages } = await follow(sub.slurmJobId, host, 40_000);
    expect(view).toMatchObject({ cause: 'cancelled', slurmState: 'CANCELLED' });
    expect(view.end?.signals).toContain('TERM');
    expect(messages.at(-1)).toEqual({ type: 'failed', message: 'stopped (SIGTERM)', cancelled: true });
    // It stopped itself, well within Slurm's KillWait (30 s) before SIGKILL.
    expect(Date.now() - cancelledAt).toBeLessThan(20_000);
  });

  it('a stop asked by the host (USR2 to the batch shell, the time-limit path) reaches the workload', async () => {
    const { jobDir, host } = prepareJob(root, 4, { steps: 10_000, stepMs: 100 });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-4', jobDirs: [jobDir], command: workloadCommand() });
    await waitUntil(() => host.readMessages().entries.find((e) => e.message.type === 'progress'), 'the first progress', 60_000);
    await cancelJob(sub.slurmJobId, { signal: 'USR2' });
    const { view, messages } = await follow(sub.slurmJobId, host, 30_000);
    expect(view).toMatchObject({ cause: 'interrupted', end: { signals: ['USR2'], exitCode: 0 } });
    expect(messages.at(-1)).toEqual({ type: 'failed', message: 'stopped (SIGUSR2)', cancelled: true });
  });

  // The cause of an intermittent failure of the time-limit test below: with a
  // 1-minute limit Slurm may send the warning as the job starts. Before the fix
  // a USR2 before the script's traps killed the batch shell (Slurm: FAILED,
  // JobLaunchFailure, ExitCode 0:12, shown as not-visible), and one between the
  // traps and the workload's start was swallowed (the job ran on to its limit).
  // The probe file is made a FIFO so the batch shell waits in its probe check,
  // at the start of the script, until the test has sent the warning.
  it('a time-limit warning that comes as the batch script starts, before the workload runs, ends the job interrupted with its end state', async () => {
    const { jobDir, host } = prepareJob(root, 40, { steps: 10_000, stepMs: 100 });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-early-warning', jobDirs: [jobDir], command: workloadCommand() }, { hold: true });
    const token = readFileSync(host.files.probe, 'utf8');
    rmSync(host.files.probe);
    execFileSync('mkfifo', [host.files.probe]);
    await releaseJob(sub.slurmJobId);
    await waitUntil(async () => ((await readJobView(sub.slurmJobId, host.files)).phase === 'running' ? true : undefined), 'the job to run', 60_000);
    // Slurm shows RUNNING before the batch shell has reached its probe check: give it time to block there.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await cancelJob(sub.slurmJobId, { signal: 'USR2' })).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    // Unblocks the probe check (the writer waits for the reader, so it runs beside the test).
    const writer = execFile('sh', ['-c', 'printf %s "$1" > "$2"', 'sh', token, host.files.probe]);
    const { view, messages } = await follow(sub.slurmJobId, host, 60_000);
    writer.kill();
    expect(view).toMatchObject({ cause: 'interrupted', end: { signals: ['USR2'] } });
    // The workload was never started: nothing in the journal, and resume starts it afresh.
    expect(messages).toEqual([]);
  });

  it('an array of 3 (at most 2 at once) runs each member in its own job folder with its own start message', async () => {
    const jobs = [10, 11, 12].map((id) => prepareJob(root, id, { steps: 2, stepMs: 200 }));
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-array', jobDirs: jobs.map((j) => j.jobDir), command: workloadCommand(), array: { parallel: 2 } }, { hold: true });
    expect(sub.memberIds).toEqual([0, 1, 2].map((i) => `${sub.slurmJobId}_${i}`));
    const members = jobs.map((j, i) => ({ slurmJobId: sub.memberIds[i]!, files: j.host.files }));
    const held = await readJobViews(members);
    expect([...held.values()].map((v) => [v.phase, v.phase === 'pending' && v.reason])).toEqual(Array(3).fill(['pending', 'JobHeldUser']));
    await releaseJob(sub.slurmJobId);
    const results = await Promise.all(jobs.map((j, i) => follow(sub.memberIds[i]!, j.host, 90_000)));
    results.forEach((r, i) => {
      expect(r.view).toMatchObject({ cause: 'completed', end: { slurmJobId: sub.memberIds[i], exitCode: 0 } });
      expect(r.messages[0]).toMatchObject({ type: 'log', line: expect.stringContaining(`job ${10 + i} on`) });
      expect(r.messages.at(-1)).toEqual({ type: 'done', result: { steps: 2, stopSignal: null } });
      expect(r.output).toContain('plain stdout line from the workload');
    });
    const starts = jobs.map((j) => readAttempts(j.host.files)[0]!.startedAt);
    expect(starts.every(Boolean)).toBe(true);
  });

  it('a node that does not find the probe token (another folder of the same name) fails with a message naming jobRoot', async () => {
    const { jobDir, host } = prepareJob(root, 5, { steps: 1, stepMs: 1 });
    const sub = await submitBatchJob(testProfile(), { name: 'wb-test-5', jobDirs: [jobDir], command: workloadCommand() }, { hold: true });
    rmSync(host.files.probe); // what a node's own /tmp would look like
    await releaseJob(sub.slurmJobId);
    const view = await waitUntil(
      async () => {
        const v = await readJobView(sub.slurmJobId, host.files);
        return v.phase === 'ended' ? v : undefined;
      },
      'the job to fail',
      60_000,
    );
    expect(view).toMatchObject({ cause: 'not-visible', slurmState: 'FAILED', end: null });
    expect(view.message).toMatch(/jobRoot/);
    expect((await readJobDetail(sub.slurmJobId))?.exitCode).toBe(PROBE_MISSING_EXIT);
    expect(readFileSync(host.files.output, 'utf8')).toMatch(/probe file is missing/);
  });

  it('refuses before anything runs: unknown partition, no sbatch, a resource the cluster lacks; nothing is left behind', async () => {
    const { jobDir } = prepareJob(root, 6, { steps: 1, stepMs: 1 });
    const spec = { name: 'wb-test-6', jobDirs: [jobDir], command: workloadCommand() };
    const refusal = async (overrides: Parameters<typeof testProfile>[0]) => {
      const err = await submitBatchJob(testProfile(overrides), spec).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      return err as ApiError;
    };
    const partition = await refusal({ partition: 'no-such-partition' });
    expect(partition.field).toBe('profile.partition');
    expect(partition.message).toMatch(/no partition "no-such-partition".*debug/);
    const binDir = await refusal({ binDir: '/nonexistent/slurm/bin' });
    expect(binDir.field).toBe('profile.binDir');
    expect(binDir.message).toMatch(/sbatch was not found in the profile's binDir/);
    const gpus = await refusal({ gpus: 1 });
    expect(gpus.field).toBe('profile.gpus');
    expect(gpus.message).toMatch(/Slurm refused the job: .*gres/i);
    const files = slurmJobFiles(jobDir);
    expect([existsSync(files.probe), existsSync(files.script), existsSync(files.submitted)]).toEqual([false, false, false]);
  });

  it('the time-limit warning (USR2) reaches the workload, which saves and stops; the job ends interrupted', async () => {
    const { id, host, submittedAt } = timeLimited;
    const { view, messages } = await follow(id, host, 100_000);
    expect(view).toMatchObject({ cause: 'interrupted', end: { signals: ['USR2'] } });
    expect(messages.at(-1)).toEqual({ type: 'failed', message: 'stopped (SIGUSR2)', cancelled: true });
    const started = Date.parse(readAttempts(host.files)[0]!.startedAt);
    const ended = Date.parse(view.end!.finishedAt);
    process.stdout.write(`slurm time limit: USR2 handled ${Math.round((ended - started) / 1000)} s after the start (limit 60 s, asked 30 s before), ${Math.round((Date.now() - submittedAt) / 1000)} s after submission\n`);
    // Before the limit itself: it stopped on the warning, not on Slurm's kill.
    expect(ended - started).toBeLessThan(60_000);
  });
});
