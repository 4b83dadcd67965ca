/**
 * Job folders on the profile's jobRoot, on the real cluster (.ci/slurm-up.sh):
 * the workspace lies in a folder the profile lists as this machine's own
 * (localPaths), so the node works in `<jobRoot>/<workspace key>/<job>/` with a
 * database snapshot and the staged inputs, and the host lands what it wrote in
 * the workspace. A training job gives the same weights as locally, a time limit
 * resumes on Slurm from the checkpoint that landed, a cancel and a host restart
 * leave the workspace as a local job would; a missing or read-only jobRoot, a
 * workspace on local storage without one, and an input the nodes cannot see are
 * refused before anything is queued, naming the field. Skipped with the reason
 * without a cluster, failing under CI.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import type { JobSummary } from '../../src-main/common/contract/index.ts';
import type { SlurmJobInfo } from '../../src-main/common/contract/slurm.ts';
import type { TrainConfigInput, TrainResult } from '../../src-main/common/contract/train.ts';
import { workspaceKey } from '../../src-main/slurm/job-root.ts';
import { cancelJob } from '../../src-main/slurm/submit.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from '../train/fixtures.ts';
import { slurmMissingReason, waitUntil } from './cluster.ts';

const missing = slurmMissingReason();
if (missing && process.env.CI) throw new Error(`the Slurm cluster is required under CI: ${missing}`);
if (missing) process.stdout.write(`slurm jobRoot tests: skipped, ${missing}\n`);

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

describe.skipIf(missing !== null)('Slurm job folders on jobRoot (workspace on local storage)', () => {
  let core: WorkbenchCore;
  let cleanup: () => void;
  let datasetId: number;
  let laptop: string;
  let workspaceDir: string;
  let jobRoot: string;
  let idxDir: string;
  let readOnly: string;
  let mounted = false;

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

  function finished(id: number, timeoutMs = 180_000): Promise<JobSummary> {
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

  /** The checkpoint files the workspace registered for a job: each must be a whole file in the workspace. */
  function registeredCheckpoints(id: number): { path: string; size_bytes: number }[] {
    return core.ctx.ws.db.prepare("SELECT path, size_bytes FROM artifacts WHERE job_id = ? AND kind IN ('checkpoint', 'checkpoint-data') ORDER BY id").all(id) as { path: string; size_bytes: number }[];
  }

  function stagedAt(id: number): string | null | undefined {
    return (core.ctx.jobs.summary(id).slurm as SlurmJobInfo | null)?.stagedAt;
  }

  beforeAll(async () => {
    const t = tempDir('wb-slurm-root-');
    cleanup = t.cleanup;
    laptop = path.join(t.dir, 'laptop');
    workspaceDir = path.join(laptop, 'ws');
    jobRoot = path.join(t.dir, 'shared', 'jobs');
    mkdirSync(jobRoot, { recursive: true });
    core = openCore({ workspaceDir, slurm: { journalPollMs: 200, queuePollMs: 1000 } });
    idxDir = path.join(laptop, 'idx');
    datasetId = await importTinyIdx(core.ctx.ws, idxDir, { train: 48, test: 16 });
    const base = { partition: 'debug', timeLimit: '5', cpus: 1, memory: '600M', signalSeconds: 30, localPaths: [laptop] };
    await call('slurm.profiles.set', { profile: { name: 'root', ...base, jobRoot } });
    await call('slurm.profiles.set', { profile: { name: 'short', ...base, timeLimit: '2', jobRoot } });
    await call('slurm.profiles.set', { profile: { name: 'no-root', ...base } });
    await call('slurm.profiles.set', { profile: { name: 'missing-root', ...base, jobRoot: path.join(t.dir, 'shared', 'not-made') } });
    // A read-only jobRoot: a read-only mount when this runs as root (root writes through modes), else modes.
    readOnly = path.join(t.dir, 'shared', 'read-only');
    mkdirSync(readOnly);
    if (process.getuid?.() === 0) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]);
      mounted = true;
    } else chmodSync(readOnly, 0o555);
    await call('slurm.profiles.set', { profile: { name: 'ro-root', ...base, jobRoot: readOnly } });
  });
  afterAll(async () => {
    for (const j of core?.ctx.jobs.list({ limit: 1000 }) ?? []) if (j.slurm?.slurmJobId && !FINAL.includes(j.status)) await cancelJob(j.slurm.slurmJobId);
    await core?.close();
    if (mounted) execFileSync('umount', [readOnly]);
    cleanup?.();
  });

  it('refuses before queueing, naming the field: jobRoot missing, jobRoot not writable, a local workspace without jobRoot, an input the nodes cannot see', async () => {
    const before = core.ctx.jobs.list().length;
    const cases: [string, unknown, string, RegExp][] = [
      ['missing-root', { kind: 'train.run', params: config(datasetId), runOn: { slurm: 'missing-root' } }, 'profile.jobRoot', /jobRoot .*not-made does not exist/],
      ['ro-root', { kind: 'train.run', params: config(datasetId), runOn: { slurm: 'ro-root' } }, 'profile.jobRoot', /jobRoot .*read-only is not writable from this machine/],
      ['no-root', { kind: 'train.run', params: config(datasetId), runOn: { slurm: 'no-root' } }, 'profile.jobRoot', /cannot be seen from partition debug's nodes: it is under .*laptop, which the profile lists as this machine's own storage/],
      // An import reads its source folder in place: on the laptop, the nodes cannot read it.
      ['local source', { kind: 'datasets.import', params: { path: idxDir, format: 'idx', name: 'x', allowDuplicate: true }, runOn: { slurm: 'root' } }, 'params.path', /params\.path: reads .*laptop\/idx, which the Slurm nodes cannot see/],
      ['whole workspace', { kind: 'workspace.verify', params: {}, runOn: { slurm: 'root' } }, 'runOn', /reads the whole workspace.*run it on this machine/],
    ];
    for (const [label, request, field, message] of cases) {
      const error = await refusal('jobs.submit', request);
      expect({ label, field: error.field }).toEqual({ label, field });
      expect(error.message).toMatch(message);
    }
    expect(core.ctx.jobs.list().length).toBe(before);
    // Nothing was made under jobRoot by a refusal.
    expect(readdirSync(jobRoot)).toEqual([]);
  });

  it('a training job runs in its tree on jobRoot and lands in the workspace: the same weights as locally, whole checkpoints registered, the tree removed', async () => {
    const local = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 2 }), backend: 'cpu' });
    const onSlurm = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 2 }), backend: 'cpu', runOn: { slurm: 'root' } });
    const tree = path.join(jobRoot, workspaceKey(workspaceDir), String(onSlurm.id));
    // While it runs the job's files are on jobRoot: the database snapshot, the staged pixels, its job folder.
    await waitUntil(() => (existsSync(path.join(tree, 'workbench.db')) ? true : undefined), 'the tree on jobRoot', 60_000, () => core.ctx.jobs.summary(onSlurm.id));
    expect(existsSync(path.join(tree, 'artifacts', 'jobs', String(onSlurm.id), 'slurm', 'from-job.jsonl'))).toBe(true);
    const [a, b] = [await finished(local.id), await finished(onSlurm.id)];
    expect(a.status).toBe('succeeded');
    expect(b).toMatchObject({ status: 'succeeded', slurm: { profile: 'root', node: 'vm' } });
    expect(stagedAt(b.id)).toBe(tree);
    expect(weights(b.id).equals(weights(a.id))).toBe(true);
    // The model and every registered checkpoint are whole files in the workspace, not on jobRoot.
    const result = core.ctx.jobs.detail(b.id).result as TrainResult;
    expect(path.isAbsolute(result.model.dir)).toBe(false);
    const checkpoints = registeredCheckpoints(b.id);
    expect(checkpoints.length).toBeGreaterThanOrEqual(3);
    for (const c of checkpoints) expect(readFileSync(core.ctx.ws.resolve(c.path)).length).toBe(c.size_bytes);
    expect(checkpoints.map((c) => c.path)).toEqual(registeredCheckpoints(a.id).map((c) => c.path.replace(`jobs/${a.id}/`, `jobs/${b.id}/`)));
    // Once Slurm has ended the job (a moment after its done) the tree goes; the channel stays with the job for the record.
    await waitUntil(() => (existsSync(tree) ? undefined : true), 'the tree to be removed', 60_000);
    expect(existsSync(path.join(core.ctx.ws.jobDir(b.id), 'slurm', 'batch.sh'))).toBe(true);
  }, 300_000);

  it('an import from shared storage runs on jobRoot and lands its decoded pixels: the same samples and pixels as locally', async () => {
    const sharedIdx = path.join(path.dirname(jobRoot), 'idx');
    cpSync(idxDir, sharedIdx, { recursive: true });
    const job = await call<JobSummary>('jobs.submit', { kind: 'datasets.import', params: { path: sharedIdx, format: 'idx', name: 'tiny-on-root', allowDuplicate: true }, runOn: { slurm: 'root' } });
    expect((await finished(job.id)).status).toBe('succeeded');
    const dataset = (name: string) => core.ctx.ws.db.prepare('SELECT id, info FROM datasets WHERE name = ?').get(name) as { id: number; info: string };
    const samples = (id: number) => core.ctx.ws.db.prepare("SELECT split, label, path, json_extract(extra, '$.blobIndex') AS blobIndex FROM samples WHERE dataset_id = ? ORDER BY id").all(id);
    const [here, there] = [dataset('tiny'), dataset('tiny-on-root')];
    expect(samples(there.id)).toEqual(samples(here.id));
    const blob = (d: { info: string }) => readFileSync(core.ctx.ws.resolve((JSON.parse(d.info) as { blob: { path: string } }).blob.path));
    expect(blob(there).equals(blob(here))).toBe(true);
  }, 180_000);

  it('a 2-member sweep on jobRoot is one array, each member in its own tree, landing as 2 models', async () => {
    const sweep = await call<{ sweepId: string; jobs: JobSummary[] }>('jobs.sweep', {
      kind: 'train.run',
      params: config(datasetId),
      sweep: { field: 'prune.rate', values: [0.1, 0.2] },
      backend: 'cpu',
      runOn: { slurm: 'root' },
    });
    const ends = [];
    for (const j of sweep.jobs) ends.push(await finished(j.id, 240_000));
    expect(ends.map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    const array = ends[0]!.slurm!.slurmJobId!.split('_')[0];
    expect(ends.map((e) => e.slurm!.slurmJobId)).toEqual([`${array}_0`, `${array}_1`]);
    expect(ends.map((e) => stagedAt(e.id))).toEqual(ends.map((e) => path.join(jobRoot, workspaceKey(workspaceDir), String(e.id))));
    const rates = ends.map((e) => (core.ctx.ws.db.prepare('SELECT rate FROM models WHERE job_id = ?').get(e.id) as { rate: number }).rate);
    expect(rates).toEqual([0.1, 0.2]);
    for (const e of ends) expect(weights(e.id).length).toBeGreaterThan(0);
  }, 300_000);

  it('a job stopped by its time limit lands its checkpoint; resumed on Slurm it is staged again and continues from it', async () => {
    const job = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 400 }), backend: 'cpu', runOn: { slurm: 'short' } });
    const end = await finished(job.id, 240_000);
    expect(end).toMatchObject({ status: 'interrupted', resumable: true });
    const saved = registeredCheckpoints(job.id);
    expect(saved.length).toBeGreaterThan(0);
    for (const c of saved) expect(readFileSync(core.ctx.ws.resolve(c.path)).length).toBe(c.size_bytes);
    // Without runOn it resumes where it ran: on Slurm, in a new tree holding the parent's checkpoints.
    const resumed = await call<JobSummary>('jobs.resume', { id: job.id });
    expect(resumed).toMatchObject({ runOn: { slurm: 'short' }, parentJobId: job.id });
    const line = await waitUntil(
      () => core.ctx.jobs.detail(resumed.id).logs.find((l) => l.line.startsWith('Resuming from'))?.line,
      'the resumed job to load the checkpoint on the node',
      180_000,
      () => core.ctx.jobs.detail(resumed.id).logs.slice(-5),
    );
    expect(Number(/after epoch (\d+)/.exec(line)![1])).toBeGreaterThan(0);
    expect(stagedAt(resumed.id)).toBe(path.join(jobRoot, workspaceKey(workspaceDir), String(resumed.id)));
    await call('jobs.cancel', { id: resumed.id });
    expect((await finished(resumed.id, 90_000)).status).toBe('cancelled');
    await waitUntil(() => (existsSync(stagedAt(resumed.id)!) ? undefined : true), 'the tree to be removed', 60_000);
  }, 480_000);

  it('the host restarting while a job runs on jobRoot follows it again: it completes and lands, nothing counted twice', async () => {
    const job = await call<JobSummary>('jobs.submit', { kind: 'train.run', params: config(datasetId, { epochs: 5 }), backend: 'cpu', runOn: { slurm: 'root' } });
    await waitUntil(() => ((core.ctx.jobs.summary(job.id).progress?.fraction ?? 0) > 0 ? true : undefined), 'progress from the node', 120_000, () => core.ctx.jobs.summary(job.id));
    await core.close();
    await new Promise((r) => setTimeout(r, 1500));
    core = openCore({ workspaceDir, slurm: { journalPollMs: 200, queuePollMs: 1000 } });
    expect(core.ctx.jobs.summary(job.id).status).toBe('running');
    const end = await finished(job.id);
    expect(end.status).toBe('succeeded');
    const epochs = core.ctx.ws.db.prepare("SELECT DISTINCT epoch FROM metrics WHERE job_id = ? AND name = 'val_accuracy'").all(job.id);
    expect(epochs).toHaveLength(5);
    const twice = core.ctx.ws.db.prepare('SELECT name, step, COUNT(*) AS n FROM metrics WHERE job_id = ? GROUP BY name, step, epoch HAVING n > 1').all(job.id);
    expect(twice).toEqual([]);
    expect(weights(job.id).length).toBeGreaterThan(0);
    for (const c of registeredCheckpoints(job.id)) expect(readFileSync(core.ctx.ws.resolve(c.path)).length).toBe(c.size_bytes);
  }, 300_000);

  it('nothing the workspace recorded names jobRoot: datasets, models, artifacts and results point into the workspace', () => {
    const like = `%${jobRoot}%`;
    const rows = core.ctx.ws.db
      .prepare(
        `SELECT 'dataset' AS what, root_path AS value FROM datasets WHERE root_path LIKE ? OR info LIKE ?
         UNION ALL SELECT 'model', dir FROM models WHERE dir LIKE ?
         UNION ALL SELECT 'artifact', path FROM artifacts WHERE path LIKE ? OR meta LIKE ?
         UNION ALL SELECT 'job result', result FROM jobs WHERE result LIKE ?`,
      )
      .all(like, like, like, like, like, like);
    expect(rows).toEqual([]);
    // The same jobs did run there (the rows say where), so the query is not vacuous.
    expect(core.ctx.jobs.list({ limit: 1000 }).filter((j) => (j.slurm as SlurmJobInfo | null)?.stagedAt?.startsWith(jobRoot)).length).toBeGreaterThanOrEqual(5);
  });
});
