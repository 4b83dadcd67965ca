/**
 * kill -9 campaigns: the job process of an import, a training run, a pruning
 * run, a compact, an export and an SPGAN training is killed at seeded random
 * moments (fractions of an uninterrupted run's duration). After every kill the
 * database passes `PRAGMA integrity_check`, has no dataset or model of a dead job
 * and no artifact row naming a missing file;
 * after the next start no folder of a dead job is left; a resumable job resumed
 * (as often as it takes) reproduces the uninterrupted result byte for byte, and
 * a job that cannot be resumed, run again, does.
 *
 * `npm test` kills each a few times; `npm run test:kill-campaign` kills each at
 * 10 moments and writes the table of README "Security and reliability" from
 * what it saw (WB_KILL_MOMENTS, WB_KILL_README).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync as writeText } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { findOrphanFolders } from '../../src-main/core/orphans.ts';
import { hashSeed, mulberry32 } from '../../src-main/common/random.ts';
import type { JobSummary } from '../../src-main/common/contract/index.ts';
import type { TrainResult } from '../../src-main/common/contract/train.ts';
import { importTinyIdx } from '../train/fixtures.ts';
import { addReidDataset } from '../spgan/helpers.ts';
import { idxImages, idxLabels, writeFileSync, mkdirSync } from '../datasets/fixtures.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { jobProcessesOf, sleep, until } from './processes.ts';

const sha = (files: string[]): string => {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
};

/** One kind of job killed again and again. */
interface Campaign {
  name: string;
  /** Kills in `npm test` (the full campaign: WB_KILL_MOMENTS). */
  moments: number;
  resumable: boolean;
  /** Builds what the job needs (datasets, a model) once; returns how to submit one job. */
  setup: () => Promise<() => JobSummary>;
  /** The bytes a succeeded job produced, as one hash (blobs, weights, exported files, checkpoints). */
  fingerprint: (jobId: number) => string;
}

interface CampaignRow {
  name: string;
  attempts: number;
  killed: number;
  /** Results compared with the uninterrupted one, and how many were identical. */
  checks: number;
  identical: number;
  integrity: boolean;
}

const fullMoments = process.env.WB_KILL_MOMENTS ? Number(process.env.WB_KILL_MOMENTS) : null;

describe('kill -9 campaigns (real job processes, real workspace)', () => {
  let root: string;
  let cleanup: () => void;
  let ws: Workspace;
  let jobs: JobManager;
  const rng = mulberry32(hashSeed(20261204, 9));
  const rows: CampaignRow[] = [];
  let tinyDataset = 0;
  let prunedModel = 0;

  const open = (): void => {
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
  };
  /** The host restarting: a new job manager on the same workspace (marks running jobs interrupted, cleans dead jobs' data). */
  const restart = async (): Promise<void> => {
    await jobs.close();
    open();
  };
  const resultOf = <R,>(jobId: number): R => JSON.parse((ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(jobId) as { result: string }).result) as R;
  const weightsOf = (jobId: number): string => sha([path.join(ws.resolve(resultOf<TrainResult>(jobId).model.dir), 'weights.bin')]);

  const tinyTrain = (prune: boolean) => ({
    dataset: { id: tinyDataset, validationFraction: 0.25 },
    model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
    epochs: 3,
    batchSize: 16,
    optimizer: { lr: 0.05, momentum: 0.9 },
    ...(prune ? { prune: { method: 'sfp', rate: 0.5, bnRecalibrationBatches: 2 } } : {}),
    seed: 11,
  });

  const campaigns: Campaign[] = [
    {
      name: 'import (IDX, 20,000 images)',
      moments: 3,
      resumable: true,
      setup: async () => {
        const data = path.join(root, 'idx');
        mkdirSync(data, { recursive: true });
        writeFileSync(path.join(data, 'train-images-idx3-ubyte'), idxImages(20000, 28, 28));
        writeFileSync(path.join(data, 'train-labels-idx1-ubyte'), idxLabels(Array.from({ length: 20000 }, (_, i) => i % 10)));
        let n = 0;
        return () => jobs.submit('datasets.import', { path: data, name: `import-${n++}`, allowDuplicate: true });
      },
      fingerprint: (jobId) => {
        const info = JSON.parse((ws.db.prepare('SELECT info FROM datasets WHERE job_id = ?').get(jobId) as { info: string }).info) as { blob: { path: string } };
        const samples = (ws.db.prepare('SELECT COUNT(*) AS n FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.job_id = ?').get(jobId) as { n: number }).n;
        return `${sha([ws.resolve(info.blob.path)])}/${samples}`;
      },
    },
    {
      name: 'training (ResNet-20, 3 epochs)',
      moments: 2,
      resumable: true,
      setup: async () => () => jobs.submit('train.run', tinyTrain(false), { backend: 'cpu' }),
      fingerprint: weightsOf,
    },
    {
      name: 'pruning (SFP 50%, 3 epochs)',
      moments: 1,
      resumable: true,
      setup: async () => () => jobs.submit('train.run', tinyTrain(true), { backend: 'cpu' }),
      fingerprint: weightsOf,
    },
    {
      name: 'compact (hard pruning)',
      moments: 1,
      resumable: false,
      setup: async () => () => jobs.submit('model.compact', { modelId: prunedModel, benchBatch: 2 }, { backend: 'cpu' }),
      fingerprint: (jobId) => sha([path.join(ws.resolve(resultOf<{ model: { dir: string } }>(jobId).model.dir), 'weights.bin')]),
    },
    {
      name: 'export (ONNX, verified)',
      moments: 1,
      resumable: false,
      setup: async () => () => jobs.submit('models.export', { modelId: prunedModel, format: 'onnx' }, { backend: 'cpu' }),
      fingerprint: (jobId) => resultOf<{ files: { sha256: string }[] }>(jobId).files.map((f) => f.sha256).join('/'),
    },
    {
      name: 'SPGAN training (2 epochs)',
      moments: 1,
      resumable: true,
      setup: async () => {
        const sample = (personId: number, camera: number, rgb: [number, number, number]) => ({ personId, camera, split: 'train', rgb });
        const source = await addReidDataset(ws, path.join(root, 'src'), 'src', [sample(1, 1, [200, 30, 30]), sample(1, 2, [190, 40, 30]), sample(2, 1, [30, 200, 30]), sample(3, 2, [40, 60, 200])], [32, 16]);
        const target = await addReidDataset(ws, path.join(root, 'tgt'), 'tgt', [sample(7, 5, [120, 120, 120]), sample(8, 6, [100, 140, 120]), sample(9, 2, [90, 90, 150]), sample(6, 1, [150, 80, 60])], [32, 16]);
        const config = { sourceDatasetId: source, targetDatasetId: target, imageSize: [32, 16], residualBlocks: 1, generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2, siameseWidth: 4, epochs: 2, batchSize: 2, sampleCount: 1, poolSize: 4, seed: 5 };
        return () => jobs.submit('spgan.train', config, { backend: 'wasm' });
      },
      // The last checkpoint of the chain (weights and Adam moments), wherever along the chain it was written.
      fingerprint: (jobId) => {
        const chainDirs: string[] = [];
        for (let id: number | null = jobId; id !== null; id = (ws.db.prepare('SELECT parent_job_id FROM jobs WHERE id = ?').get(id) as { parent_job_id: number | null }).parent_job_id) chainDirs.push(path.join(ws.jobDir(id), 'checkpoints'));
        const dir = chainDirs.find((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith('epoch-002')))!;
        return sha(readdirSync(dir).filter((f) => f.startsWith('epoch-002')).sort().map((f) => path.join(dir, f)));
      },
    },
  ];

  beforeAll(async () => {
    ({ dir: root, cleanup } = tempDir('wb-kill-'));
    ws = Workspace.open(path.join(root, 'ws'));
    open();
    tinyDataset = await importTinyIdx(ws, path.join(root, 'tiny'));
    const pruned = await jobs.waitFor(jobs.submit('train.run', tinyTrain(true), { backend: 'cpu' }).id);
    prunedModel = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(pruned.id) as { id: number }).id;
  }, 120_000);
  afterAll(async () => {
    await jobs.close();
    ws.close();
    cleanup();
    const readme = process.env.WB_KILL_README;
    if (readme && rows.length === campaigns.length) writeCampaignTable(readme, rows);
  });

  /** Submits, waits until its job process runs, kills it after `delayMs`; returns the final summary and whether the kill landed. */
  async function killDuring(submit: () => JobSummary, delayMs: number): Promise<{ job: JobSummary; killed: boolean }> {
    const before = new Set(jobProcessesOf(process.pid));
    const id = submit().id;
    const pid = await until('the job process', () => jobProcessesOf(process.pid).find((p) => !before.has(p)));
    await sleep(delayMs);
    let killed = false;
    try {
      process.kill(pid, 'SIGKILL');
      killed = true;
    } catch {
      // it had already finished
    }
    const job = await jobs.waitFor(id);
    return { job, killed: killed && job.status !== 'succeeded' };
  }

  function integrity(): boolean {
    expect((ws.db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    expect(ws.db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    // Datasets and models only from jobs that succeeded: a killed job committed none.
    for (const table of ['datasets', 'models']) {
      const ofDeadJobs = ws.db.prepare(`SELECT t.id FROM ${table} t JOIN jobs j ON j.id = t.job_id WHERE j.status != 'succeeded'`).all();
      expect(ofDeadJobs, table).toEqual([]);
    }
    // Artifacts a dead job recorded (its checkpoints, which resume reads) name files that exist: no dangling row.
    const dangling = (ws.db.prepare('SELECT path FROM artifacts').all() as { path: string }[]).filter((a) => !existsSync(ws.resolve(a.path)));
    expect(dangling).toEqual([]);
    return true;
  }

  it.each(campaigns.map((c) => [c.name, c] as const))(
    '%s: killed at random moments, the workspace intact, the result reproduced',
    async (_name, c) => {
      const submit = await c.setup();
      const started = Date.now();
      const clean = await jobs.waitFor(submit().id);
      const duration = Date.now() - started;
      expect(clean.status, clean.error ?? '').toBe('succeeded');
      const reference = c.fingerprint(clean.id);

      // Kill until `moments` kills have landed: a job that ends before its kill counts as an attempt only.
      const moments = fullMoments ?? c.moments;
      const killedIds: number[] = [];
      let identical = 0;
      let checks = 0;
      let attempts = 0;
      for (; killedIds.length < moments && attempts < moments * 3; attempts++) {
        const { job, killed } = await killDuring(submit, 100 + rng() * duration * 0.6);
        if (killed) {
          expect(job.status).toBe('failed');
          killedIds.push(job.id);
        }
        integrity();
        if (c.resumable) {
          // Resume the chain until it ends; a resumed job continues from the newest checkpoint along it.
          let last = job;
          for (let hops = 0; last.status !== 'succeeded' && hops < 4; hops++) last = await jobs.waitFor(jobs.resume(last.id).id);
          expect(last.status, last.error ?? '').toBe('succeeded');
          checks++;
          expect(c.fingerprint(last.id)).toBe(reference);
          identical++;
          integrity();
        } else if (job.status === 'succeeded') {
          checks++;
          expect(c.fingerprint(job.id)).toBe(reference);
          identical++;
        }
      }
      expect(killedIds.length, `kills that landed while the job ran, in ${attempts} attempts`).toBe(moments);
      // Dead jobs' data is listed until the next start, which removes it.
      for (const o of findOrphanFolders(ws.db, ws.dir)) expect(killedIds).toContain(o.jobId);
      await restart();
      expect(findOrphanFolders(ws.db, ws.dir)).toEqual([]);
      if (!c.resumable) {
        // Run again after the kills: the same bytes as the uninterrupted run.
        const again = await jobs.waitFor(submit().id);
        expect(again.status, again.error ?? '').toBe('succeeded');
        checks++;
        expect(c.fingerprint(again.id)).toBe(reference);
        identical++;
      }
      rows.push({ name: c.name, attempts, killed: killedIds.length, checks, identical, integrity: integrity() });
    },
    (fullMoments ?? 4) * 60_000,
  );
});

/** Replaces the campaign table in README between its markers with what this run saw. */
function writeCampaignTable(readme: string, rows: CampaignRow[]): void {
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- kill-campaign:start -->';
  const end = '<!-- kill-campaign:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${readme} has no ${start} ... ${end} markers`);
  const table = [
    `Written by \`npm run test:kill-campaign\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (seeded random moments over each job's uninterrupted duration):`,
    '',
    '| job killed with SIGKILL | attempts | kills that landed (the rest ended first) | integrity_check, no rows or folders of dead jobs | result reproduced byte for byte |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.attempts} | ${r.killed} | ${r.integrity ? 'yes, after every kill' : 'NO'} | ${r.identical} of ${r.checks} (${r.name.startsWith('compact') || r.name.startsWith('export') ? 'run again after the kills' : 'each killed job resumed'}) |`),
  ].join('\n');
  writeText(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
}
