import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { useCpu } from '../models/tf-setup.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from './fixtures.ts';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { trainJob } from '../../src-main/train/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import type { JobAnnotation, RunCurves, TrainConfigInput, TrainingRunRow } from '../../src-main/common/contract/index.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { startBrowserHost } from '../../src-main/hosts/http/server.ts';

function config(datasetId: number, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    dataset: { id: datasetId, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 1,
    batchSize: 8,
    optimizer: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', minLr: 0 },
    seed: 3,
    ...extra,
  };
}

async function ok<T>(core: WorkbenchCore, name: string, request: unknown): Promise<T> {
  const envelope = await core.dispatch(name, request);
  if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`);
  return envelope.result as T;
}

describe('training runs as an experiment log (real workspace)', () => {
  let core: WorkbenchCore;
  let wsDir: string;
  let cleanup: () => void;
  let datasetId: number;
  let named: number;
  let cut: number;
  let resumed: number;
  let open = true;

  beforeAll(async () => {
    await useCpu();
    const t = tempDir('wb-runs-');
    cleanup = t.cleanup;
    wsDir = path.join(t.dir, 'ws');
    core = openCore({ workspaceDir: wsDir });
    const ws = core.ctx.ws;
    datasetId = await importTinyIdx(ws, path.join(t.dir, 'idx'), { train: 32, test: 8 });
    // A 1-epoch run the user named.
    const a = await runJobInProcess(ws, trainJob, config(datasetId, { name: 'baseline lr 0.05' }));
    expect(a.status).toBe('succeeded');
    named = a.jobId;
    // An SFP run cancelled after its first epoch, then resumed: one run across two jobs.
    const sfp = config(datasetId, { epochs: 2, prune: { method: 'sfp', rate: 0.3, bnRecalibrationBatches: 0 }, optimizer: { lr: 0.02, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } });
    const c = await runJobInProcess(ws, trainJob, sfp, { onMetrics: (points) => points.some((p) => p.name === 'loss' && p.epoch === 1) });
    expect(c.status).toBe('cancelled');
    cut = c.jobId;
    const r = await runJobInProcess(ws, trainJob, sfp, { resumeFrom: cut });
    expect(r.status).toBe('succeeded');
    resumed = r.jobId;
  }, 240_000);

  afterAll(async () => {
    if (open) await core?.close();
    cleanup?.();
  });

  it('lists one row per run, the typed name first, with dataset, model, method, rate, accuracies and duration', async () => {
    const rows = await ok<TrainingRunRow[]>(core, 'train.runs', {});
    expect(rows.map((r) => r.jobId)).toEqual([resumed, named]);
    const [sfp, base] = rows as [TrainingRunRow, TrainingRunRow];
    expect(base).toMatchObject({ name: 'baseline lr 0.05', named: true, status: 'succeeded', dataset: 'tiny', model: 'resnet20', method: 'baseline', pruneRate: null, epochs: 1, epochsDone: 1, tags: [], notes: '' });
    expect(base.bestAccuracy).toBeGreaterThanOrEqual(0);
    expect(base.finalAccuracy).toBeGreaterThanOrEqual(0);
    expect(base.seconds).toBeGreaterThan(0);
    // The job's title is the typed name too.
    const jobs = await ok<{ id: number; title: string }[]>(core, 'jobs.list', {});
    expect(jobs.find((j) => j.id === named)!.title).toBe('baseline lr 0.05');
    expect(sfp).toMatchObject({ jobIds: [cut, resumed], named: false, method: 'sfp', pruneRate: 0.3, epochs: 2, epochsDone: 2, status: 'succeeded' });
    expect(sfp.name).toMatch(/^Train resnet20 SFP 30% on /);
  });

  it('names the members of a sweep by the values that set them apart', async () => {
    const ws = core.ctx.ws;
    const ids: number[] = [];
    for (const lr of [0.05, 0.1]) {
      const out = await runJobInProcess(ws, trainJob, config(datasetId, { name: 'lr test', optimizer: { lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } }));
      expect(out.status).toBe('succeeded');
      ids.push(out.jobId);
    }
    // As jobs.sweep groups them.
    ws.db.prepare(`UPDATE jobs SET sweep_id = 'sw-test' WHERE id IN (${ids.join(',')})`).run();
    const rows = await ok<TrainingRunRow[]>(core, 'train.runs', {});
    expect(rows.filter((r) => r.sweepId === 'sw-test').map((r) => r.name)).toEqual(['lr test (optimizer.lr=0.1)', 'lr test (optimizer.lr=0.05)']);
    expect(rows.find((r) => r.jobId === named)!.name).toBe('baseline lr 0.05');
    const curves = await ok<RunCurves[]>(core, 'train.curves', { jobIds: ids, names: ['loss'] });
    expect(curves.map((c) => c.name)).toEqual(['lr test (optimizer.lr=0.05)', 'lr test (optimizer.lr=0.1)']);
    expect(curves.every((c) => c.points.every((p) => p.name === 'loss'))).toBe(true);
  }, 60_000);

  it('stores tags and notes on the run (shared by its resumes) and refuses bad ones naming the field', async () => {
    const stored = await ok<JobAnnotation>(core, 'jobs.annotate', { id: resumed, tags: ['sfp', ' lr-sweep ', 'sfp'], notes: 'masks every epoch' });
    expect(stored).toEqual({ id: cut, tags: ['sfp', 'lr-sweep'], notes: 'masks every epoch' });
    // Notes alone leave the tags.
    expect(await ok<JobAnnotation>(core, 'jobs.annotate', { id: cut, notes: 'second thoughts' })).toEqual({ id: cut, tags: ['sfp', 'lr-sweep'], notes: 'second thoughts' });
    const row = (await ok<TrainingRunRow[]>(core, 'train.runs', {})).find((r) => r.jobId === resumed)!;
    expect(row).toMatchObject({ tags: ['sfp', 'lr-sweep'], notes: 'second thoughts' });
    const bad: [unknown, string][] = [
      [{ id: named, tags: ['a,b'] }, 'tags.0'],
      [{ id: named, tags: [''] }, 'tags.0'],
      [{ id: named, notes: 'x'.repeat(20_001) }, 'notes'],
      [{ id: 9999, tags: [] }, 'id'],
    ];
    for (const [request, field] of bad) {
      const envelope = await core.dispatch('jobs.annotate', request);
      expect(envelope.ok, JSON.stringify(request).slice(0, 60)).toBe(false);
      if (!envelope.ok) expect(envelope.error.field).toBe(field);
    }
  });

  it('gives per-batch loss and lr curves (a 1-epoch run has curves) and one curve across a resume, marking where', async () => {
    const [one, across] = await ok<RunCurves[]>(core, 'train.curves', { jobIds: [named, cut] });
    const batchLoss = one!.points.filter((p) => p.name === 'batch_loss');
    // 32 images, a quarter held out, batches of 8: 3 steps, each recorded.
    expect(batchLoss.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(batchLoss.map((p) => p.epoch)).toEqual([1 / 3, 2 / 3, 1]);
    expect(one!.points.filter((p) => p.name === 'batch_lr')).toHaveLength(3);
    expect(one!.resumes).toEqual([]);
    expect(one!.name).toBe('baseline lr 0.05');
    // Asked by the first job, the run is both jobs; the resumed one took over after epoch 1.
    expect(across!.jobIds).toEqual([cut, resumed]);
    expect(across!.resumes).toEqual([{ jobId: resumed, epoch: 1 }]);
    const loss = across!.points.filter((p) => p.name === 'batch_loss');
    expect(loss.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(loss.map((p) => p.jobId)).toEqual([cut, cut, cut, resumed, resumed, resumed]);
    expect(across!.points.filter((p) => p.name === 'loss').map((p) => [p.epoch, p.jobId])).toEqual([
      [1, cut],
      [2, resumed],
    ]);
  });

  it('the browser host answers the same calls, and a CLI on its workspace tags through it', async () => {
    const host = await startBrowserHost(core, { port: 0 });
    core.advertise({ url: `http://127.0.0.1:${host.port}`, token: host.token });
    try {
      const call = async (name: string, body: unknown) =>
        (await (await fetch(`http://127.0.0.1:${host.port}/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
          ok: boolean;
          result: unknown;
          error?: { field?: string };
        };
      const listed = await call('train.runs', {});
      expect((listed.result as TrainingRunRow[]).map((r) => r.name)).toContain('baseline lr 0.05');
      const refused = await call('jobs.annotate', { id: named, tags: ['x'.repeat(41)] });
      expect(refused).toMatchObject({ ok: false, error: { field: 'tags.0' } });
      const viaCli = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'tag', String(named), 'via-host'], { timeoutMs: 30_000 });
      expect(viaCli.code, viaCli.stderr).toBe(0);
      expect(await ok<JobAnnotation>(core, 'jobs.annotate', { id: named })).toMatchObject({ tags: ['via-host'] });
      await ok<JobAnnotation>(core, 'jobs.annotate', { id: named, tags: [] });
    } finally {
      await host.close();
    }
  }, 60_000);

  it('workbench runs list --json and runs tag / note (the real CLI)', async () => {
    await core.close();
    open = false;
    const tag = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'tag', String(named), 'keep', 'paper,fig2']);
    expect(tag.code, tag.stderr).toBe(0);
    expect(JSON.parse(tag.stdout)).toEqual({ id: named, tags: ['keep', 'paper', 'fig2'], notes: '' });
    const untag = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'tag', String(named), '--remove', 'paper']);
    expect(JSON.parse(untag.stdout).tags).toEqual(['keep', 'fig2']);
    const note = await runWorkbench(['--workspace', wsDir, 'runs', 'note', String(named), 'best', 'so', 'far']);
    expect(note.stdout.trim()).toBe('best so far');
    const list = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'list', '--tag', 'keep']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as TrainingRunRow[];
    expect(rows.map((r) => [r.name, r.tags, r.notes])).toEqual([['baseline lr 0.05', ['keep', 'fig2'], 'best so far']]);
    const table = await runWorkbench(['--workspace', wsDir, 'runs', 'list']);
    expect(table.stdout).toMatch(/^baseline lr 0\.05\s+\d+\s+tiny\s+resnet20\s+baseline\s+-\s+[\d.]+%\s+[\d.]+%/m);
    const diff = await runWorkbench(['--workspace', wsDir, '--json', 'runs', 'diff', String(named), String(cut)]);
    expect(diff.code, diff.stderr).toBe(0);
    const fields = JSON.parse(diff.stdout) as { path: string; values: unknown[] }[];
    expect(fields.map((f) => f.path)).toEqual(['epochs', 'name', 'optimizer.lr', 'prune.bnRecalibrationBatches', 'prune.criterion', 'prune.d', 'prune.interval', 'prune.method', 'prune.noRegrowth', 'prune.rate', 'prune.reestimateBn', 'prune.zeroBn']);
    expect(fields.find((f) => f.path === 'optimizer.lr')!.values).toEqual([0.05, 0.02]);
    const diffTable = await runWorkbench(['--workspace', wsDir, 'runs', 'diff', String(named), String(cut)]);
    expect(diffTable.stdout).toMatch(/^epochs\s+1\s+2$/m);
    const bad = await runWorkbench(['--workspace', wsDir, 'runs', 'tag', String(named), 'x'.repeat(41)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/tags\.\d+.*40 characters/);
  }, 120_000);
});
