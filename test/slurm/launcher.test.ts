/**
 * Slurm as a second launcher, end to end on the real cluster (.ci/slurm-up.sh):
 * the workbench's own job process runs on the node through the batch script and
 * its job folder, the host stores everything. A tiny training job gives the same
 * weights on Slurm as locally (same seed), a running job is cancelled
 * (scancel + the runner's stop) and resumed on Slurm to the uninterrupted
 * weights, a 3-member sweep is one job array and lands as
 * 3 models, and bad input is refused before anything is queued. Skipped with
 * the reason without a cluster, failing under CI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import type { JobSummary, Req } from '../../src-main/common/contract/index.ts';
import type { TrainConfigInput, TrainResult } from '../../src-main/common/contract/train.ts';
import { cancelJob } from '../../src-main/slurm/submit.ts';
import { readJobView } from '../../src-main/slurm/job-state.ts';
import { slurmJobFiles } from '../../src-main/slurm/job-folder.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from '../train/fixtures.ts';
import { slurmMissingReason, waitUntil } from './cluster.ts';

const missing = slurmMissingReason();
if (missing && process.env.CI) throw new Error(`the Slurm cluster is required under CI: ${missing}`);
if (missing) process.stdout.write(`slurm launcher tests: skipped, ${missing}\n`);

const FINAL = ['succeeded', 'failed', 'cancelled', 'interrupted'];

function config(datasetId: number, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    dataset: { id: datasetId, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 1,
    batchSize: 16,
    optimizer: { lr: 0.05, momentum: 0.9 },
    schedule: { kind: 'cosine', minLr: 0 },
    prune: { method: 'sfp', rate: 0.3 },
    seed: 11,
    ...extra,
  };
}

describe.skipIf(missing !== null)('Slurm launcher (jobs on the real cluster)', () => {
  let core: WorkbenchCore;
  let cleanup: () => void;
  let datasetId: number;
  let workspaceDir: string;
  let idxDir: string;

  async function call<T>(name: string, request: unknown): Promise<T> {
    const env = await core.dispatch(name, request);
    if (!env.ok) throw Object.assign(new Error(env.error.message), { field: env.error.field });
    return env.result as T;
  }

  async function refusal(name: string, request: unknown): Promise<{ message: string; field?: string }> {
    const env = await core.dispatch(name, request);
    if (env.ok) throw new Error(`${name} was accepted`);
    return env.error;
  }

  function finished(id: number, timeoutMs = 120_000): Promise<JobSummary> {
    return waitUntil(
      () => {
        const s = core.ctx.jobs.summary(id);
        return FINAL.includes(s.status) ? s : undefined;
      },
      `job ${id} to end`,
      timeoutMs,
      () => core.ctx.jobs.summary(id),
    );
  }

  function weights(id: number): Buffer {
    const result = core.ctx.jobs.detail(id).result as TrainResult;
    return readFileSync(path.join(core.ctx.ws.resolve(result.model.dir), 'weights.bin'));
  }

  beforeAll(async () => {
    const t = tempDir('wb-slurm-launch-');
    cleanup = t.cleanup;
    workspaceDir = path.join(t.dir, 'ws');
    core = openCore({ workspaceDir, slurm: { journalPollMs: 200, queuePollMs: 1000 } });
    idxDir = path.join(t.dir, 'idx');
    datasetId = await importTinyIdx(core.ctx.ws, idxDir, { train: 48, test: 16 });
    await call('slurm.profiles.set', { profile: { name: 'test', partition: 'debug', timeLimit: '5', cpus: 1, memory: '600M', signalSeconds: 30 } });
  });
  afterAll(async () => {
    // Nothing left running on the shared cluster, whatever failed.
    for (const j of core?.ctx.jobs.list({ limit: 1000 }) ?? []) if (j.slurm?.slurmJobId && !FINAL.includes(j.status)) await cancelJob(j.slurm.slurmJobId);
    await core?.close();
    cleanup?.();
  });

  const refusals: [string, (id: number) => Req<'jobs.submit'>, string, RegExp][] = [
    ['an unknown profile', (id) => ({ kind: 'train.run', params: config(id), runOn: { slurm: 'nope' } }), 'runOn.slurm', /no Slurm profile "nope" \(profiles: .*test\)/],
    ['an unknown partition', (id) => ({ kind: 'train.run', params: config(id), runOn: { slurm: 'bad-partition' } }), 'profile.partition', /no partition "gpu-big".*debug/],
    ['no sbatch', (id) => ({ kind: 'train.run', params: config(id), runOn: { slurm: 'no-sbatch' } }), 'profile.binDir', /sbatch/],
  ];
  it.each(refusals)('refuses %s before queueing, naming the field', async (_label, request, field, message) => {
    await call('slurm.profiles.set', { profile: { name: 'bad-partition', partition: 'gpu-big', timeLimit: '5' } });
    await call('slurm.profiles.set', { profile: { name: 'no-sbatch', timeLimit: '5', binDir: '/nonexistent/slurm/bin' } });
    const before = core.ctx.jobs.list().length;
    const error = await refusal('jobs.submit', request(datasetId));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(core.ctx.jobs.list().length).toBe(before);
    // A bad profile itself is refused naming its field.
    const bad = await refusal('slurm.profiles.set', { profile: { name: 'x', timeLimit: 'soon' } });
    expect(bad.field).toBe('profile.timeLimit');
  });

  it('a training job on Slurm gives the same weights as locally (same seed), with its Slurm job id and node on the row', async () => {
    const local = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId), backend: 'cpu' });
    const onSlurm = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId), backend: 'cpu', runOn: { slurm: 'test' } });
    expect(onSlurm.runOn).toEqual({ slurm: 'test' });
    const [a, done] = [await finished(local.id), await finished(onSlurm.id)];
    expect(a.status).toBe('succeeded');
    expect(done).toMatchObject({ status: 'succeeded', runOn: { slurm: 'test' }, slurm: { profile: 'test', node: 'vm' } });
    // The journal's last message can arrive while Slurm still shows the job running or COMPLETING;
    // the row follows Slurm to its end at the next queue poll.
    await waitUntil(() => (core.ctx.jobs.summary(onSlurm.id).slurm?.phase === 'ended' ? true : undefined), 'Slurm to end the job', 60_000, () => core.ctx.jobs.summary(onSlurm.id).slurm);
    const b = core.ctx.jobs.summary(onSlurm.id);
    expect(b).toMatchObject({ status: 'succeeded', slurm: { phase: 'ended' } });
    expect(b.slurm!.slurmJobId).toMatch(/^\d+$/);
    expect(weights(b.id).equals(weights(a.id))).toBe(true);
    // Stored on the host from the node's journal: metrics, the engine, the model row.
    const detail = core.ctx.jobs.detail(b.id);
    expect(detail.engine).toMatchObject({ backend: 'cpu' });
    const models = core.ctx.ws.db.prepare('SELECT job_id FROM models WHERE job_id IN (?, ?)').all(a.id, b.id);
    expect(models).toHaveLength(2);
    const metricNames = core.ctx.ws.db.prepare('SELECT DISTINCT name FROM metrics WHERE job_id = ?').all(b.id).map((r) => (r as { name: string }).name);
    expect(metricNames).toContain('loss');
  }, 240_000);

  it('a job pending on Slurm shows its reason on the row; cancelling it scancels it', async () => {
    await call('slurm.profiles.set', { profile: { name: 'later', partition: 'debug', timeLimit: '5', memory: '300M', signalSeconds: 30, extraArgs: ['--begin=now+1hour'] } });
    const job = await call<JobSummary>('jobs.submit', { kind: 'workspace.verify', params: {}, runOn: { slurm: 'later' } });
    const pending = await waitUntil(
      () => {
        const s = core.ctx.jobs.summary(job.id);
        return s.slurm?.phase === 'pending' ? s : undefined;
      },
      'the pending view on the row',
      30_000,
      () => core.ctx.jobs.summary(job.id),
    );
    expect(pending).toMatchObject({ status: 'running', slurm: { profile: 'later', reason: 'BeginTime' } });
    await call('jobs.cancel', { id: job.id });
    expect((await finished(job.id, 30_000)).status).toBe('cancelled');
  }, 60_000);

  it('a dataset import on Slurm gives the same samples as locally', async () => {
    const job = await call<JobSummary>('jobs.submit', { kind: 'datasets.import', params: { path: idxDir, format: 'idx', name: 'tiny-on-slurm', allowDuplicate: true }, runOn: { slurm: 'test' } });
    expect((await finished(job.id)).status).toBe('succeeded');
    const samples = (name: string) =>
      core.ctx.ws.db.prepare('SELECT s.split, s.label FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = ? ORDER BY s.id').all(name);
    const here = samples('tiny');
    expect(here.length).toBe(64);
    expect(samples('tiny-on-slurm')).toEqual(here);
  }, 120_000);

  it('cancel while running: scancel and the runner stop it; the job is cancelled and Slurm has ended it', async () => {
    const job = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 200 }), backend: 'cpu', runOn: { slurm: 'test' } });
    await waitUntil(
      () => {
        const s = core.ctx.jobs.summary(job.id);
        return s.slurm?.phase === 'running' && (s.progress?.fraction ?? 0) > 0 ? s : undefined;
      },
      'the job to run on the node',
      120_000,
      () => core.ctx.jobs.summary(job.id),
    );
    await call('jobs.cancel', { id: job.id });
    const end = await finished(job.id, 90_000);
    expect(end.status).toBe('cancelled');
    // Slurm shows it COMPLETING for a few seconds; the row follows it to its end.
    await waitUntil(() => (core.ctx.jobs.summary(job.id).slurm?.phase === 'ended' ? true : undefined), 'Slurm to end the job', 60_000, () => core.ctx.jobs.summary(job.id).slurm);
    const view = await readJobView(end.slurm!.slurmJobId!, slurmJobFiles(core.ctx.ws.jobDir(job.id)));
    expect(view).toMatchObject({ phase: 'ended', cause: 'cancelled' });
    expect(core.ctx.jobs.summary(job.id).status).toBe('cancelled');
    expect(core.ctx.jobs.detail(job.id).logs.map((l) => l.line)).toContain('Cancel requested.');
  }, 240_000);

  it('a job cancelled on Slurm after a checkpoint resumes on Slurm again (where it ran) to the same weights as an uninterrupted run', async () => {
    const params = config(datasetId, { epochs: 8 });
    const whole = await call<JobSummary>('jobs.submit', { kind: 'train.run', params, backend: 'cpu' });
    const cut = await call<JobSummary>('jobs.submit', { kind: 'train.run', params, backend: 'cpu', runOn: { slurm: 'test' } });
    const checkpoints = (id: number) => (core.ctx.ws.db.prepare("SELECT COUNT(*) AS n FROM artifacts WHERE job_id = ? AND kind = 'checkpoint'").get(id) as { n: number }).n;
    await waitUntil(() => (checkpoints(cut.id) > 0 ? true : undefined), 'a checkpoint from the node', 180_000, () => core.ctx.jobs.summary(cut.id));
    await call('jobs.cancel', { id: cut.id });
    const stopped = await finished(cut.id, 90_000);
    expect(stopped).toMatchObject({ status: 'cancelled', resumable: true });
    // Without runOn a job resumes where it ran: on Slurm, as a new Slurm job.
    const resumed = await call<JobSummary>('jobs.resume', { id: cut.id });
    expect(resumed).toMatchObject({ runOn: { slurm: 'test' }, parentJobId: cut.id });
    const end = await finished(resumed.id, 180_000);
    expect(end).toMatchObject({ status: 'succeeded', slurm: { profile: 'test' } });
    expect(end.slurm!.slurmJobId).not.toBe(stopped.slurm!.slurmJobId);
    const line = core.ctx.jobs.detail(resumed.id).logs.find((l) => l.line.startsWith('Resuming from'))?.line;
    expect(Number(/after epoch (\d+)/.exec(line ?? '')?.[1])).toBeGreaterThan(0);
    expect((await finished(whole.id)).status).toBe('succeeded');
    expect(weights(resumed.id).equals(weights(whole.id))).toBe(true);
  }, 360_000);

  it('the host restarting while a Slurm job runs re-attaches it from the stored offsets: it completes, nothing counted twice', async () => {
    const job = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 6 }), backend: 'cpu', runOn: { slurm: 'test' } });
    await waitUntil(
      () => ((core.ctx.jobs.summary(job.id).progress?.fraction ?? 0) > 0 ? true : undefined),
      'the job to make progress on the node',
      120_000,
      () => core.ctx.jobs.summary(job.id),
    );
    await core.close(); // the host stops; the Slurm job runs on
    await new Promise((r) => setTimeout(r, 1500));
    core = openCore({ workspaceDir, slurm: { journalPollMs: 200, queuePollMs: 1000 } });
    expect(core.ctx.jobs.summary(job.id).status).toBe('running');
    const end = await finished(job.id, 180_000);
    expect(end.status).toBe('succeeded');
    const lines = core.ctx.jobs.detail(job.id).logs.map((l) => l.line);
    expect(lines).toContain('The workbench restarted; following the Slurm job again from its job folder.');
    const twice = core.ctx.ws.db.prepare('SELECT name, step, COUNT(*) AS n FROM metrics WHERE job_id = ? GROUP BY name, step, epoch HAVING n > 1').all(job.id);
    expect(twice).toEqual([]);
    const epochs = core.ctx.ws.db.prepare("SELECT DISTINCT epoch FROM metrics WHERE job_id = ? AND name = 'val_accuracy' ORDER BY epoch").all(job.id).map((r) => (r as { epoch: number }).epoch);
    expect(epochs).toHaveLength(6);
    expect(core.ctx.ws.db.prepare('SELECT COUNT(*) AS n FROM models WHERE job_id = ?').get(job.id)).toEqual({ n: 1 });
  }, 240_000);

  it('a job stopped by its time limit is interrupted and resumes from its checkpoint locally', async () => {
    // Slurm sends the warning (USR2) up to a minute earlier than asked: with a 1-minute limit it can come
    // seconds after the start, before a loaded machine finished one epoch (nothing to save yet). With a
    // 2-minute limit and @30 it comes 30-90 s in, after several epochs: the runner saves and stops.
    await call('slurm.profiles.set', { profile: { name: 'short', partition: 'debug', timeLimit: '2', cpus: 1, memory: '600M', signalSeconds: 30 } });
    const job = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 400 }), backend: 'cpu', runOn: { slurm: 'short' } });
    const end = await finished(job.id, 200_000);
    expect(end.status).toBe('interrupted');
    expect(end.resumable).toBe(true);
    const resumed = await call<JobSummary>('jobs.resume', { id: job.id, runOn: 'local' });
    expect(resumed).toMatchObject({ runOn: 'local', parentJobId: job.id });
    const line = await waitUntil(
      () => core.ctx.jobs.detail(resumed.id).logs.find((l) => l.line.startsWith('Resuming from'))?.line,
      'the resumed job to load the checkpoint',
      120_000,
      () => core.ctx.jobs.detail(resumed.id).logs.slice(-5),
    );
    expect(Number(/after epoch (\d+)/.exec(line)![1])).toBeGreaterThan(0);
    await call('jobs.cancel', { id: resumed.id });
    expect((await finished(resumed.id, 60_000)).status).toBe('cancelled');
  }, 360_000);

  it('a 3-member sweep is one Slurm job array and lands as 3 models in one sweep', async () => {
    const sweep = await call<{ sweepId: string; jobs: JobSummary[] }>('jobs.sweep', {
      kind: 'train.run',
      params: config(datasetId),
      sweep: { field: 'prune.rate', values: [0.1, 0.2, 0.3] },
      backend: 'cpu',
      runOn: { slurm: 'test' },
    });
    expect(sweep.jobs).toHaveLength(3);
    const ends = [];
    for (const j of sweep.jobs) ends.push(await finished(j.id, 240_000));
    expect(ends.map((e) => e.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(ends.every((e) => e.sweepId === sweep.sweepId)).toBe(true);
    // One array: member ids <array>_0, _1, _2.
    const ids = ends.map((e) => e.slurm!.slurmJobId!);
    const array = ids[0]!.split('_')[0];
    expect(ids).toEqual([`${array}_0`, `${array}_1`, `${array}_2`]);
    const rates = core.ctx.ws.db
      .prepare(`SELECT rate FROM models WHERE job_id IN (${ends.map(() => '?').join(',')}) ORDER BY job_id`)
      .all(...ends.map((e) => e.id))
      .map((r) => (r as { rate: number }).rate);
    expect(rates).toEqual([0.1, 0.2, 0.3]);
    expect(core.ctx.jobs.list({ sweepId: sweep.sweepId }).map((j) => j.id).sort()).toEqual(sweep.jobs.map((j) => j.id).sort());
  }, 300_000);
});
