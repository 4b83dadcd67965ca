import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import type { ImportReport } from '../../src-main/common/contract/datasets.ts';
import { tempDir, writeImage, idxImages, idxLabels } from './fixtures.ts';

/** dataset.import through the real job manager and a forked job process. */
describe('dataset.import job', () => {
  let ws: Workspace;
  let jobs: JobManager;
  const dirs: string[] = [];
  beforeAll(() => {
    ws = Workspace.open(tempDir('wb-ws-'));
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
  });
  afterAll(async () => {
    await jobs.close();
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it('imports in a job process, commits in onComplete, stores the report with the dataset id', async () => {
    const d = tempDir();
    dirs.push(d);
    await writeImage(`${d}/bounding_box_train/0001_c2_f0046182.jpg`, 8, 16);
    await writeImage(`${d}/query/0001_c3_f0046190.jpg`, 8, 16);
    writeFileSync(`${d}/query/broken.jpg`, 'nope');
    const job = jobs.submit('dataset.import', { path: d, name: 'duke mini' });
    const done = await jobs.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const row = ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(job.id) as { result: string };
    const { report } = JSON.parse(row.result) as { report: ImportReport };
    expect(report).toMatchObject({ name: 'duke mini', format: 'dukemtmc', counts: { samples: 2, identities: 1 }, problemCount: 1 });
    expect(report.datasetId).toBeGreaterThan(0);
    expect(report.warnings.join(' ')).toMatch(/withdrawn/);
    const full = JSON.parse(readFileSync(path.join(ws.jobDir(job.id), 'report.json'), 'utf8')) as ImportReport;
    expect(full.problems[0]).toMatchObject({ file: 'query/broken.jpg', code: 'bad_name' });
    expect(() => jobs.submit('dataset.import', { path: d })).toThrow(/already imported/);
    expect(() => jobs.submit('dataset.import', { path: path.join(d, 'nope') })).toThrow(/does not exist/);
  });

  // A lab pointing the importer one folder too high: its datasets would become the "classes" of one set.
  it('warns, naming them, when class folders are datasets of their own', async () => {
    const d = tempDir();
    dirs.push(d);
    for (const cls of ['airplane', 'cat']) await writeImage(`${d}/cifar-sample/${cls}/0.jpg`);
    await writeImage(`${d}/market-sample/bounding_box_train/0002_c1s1_000451_03.jpg`, 8, 16);
    await writeImage(`${d}/market-sample/query/0002_c2s1_000301_01.jpg`, 8, 16);
    const job = jobs.submit('dataset.import', { path: d, name: 'two sets' });
    expect((await jobs.waitFor(job.id)).status).toBe('succeeded');
    const { report } = JSON.parse((ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(job.id) as { result: string }).result) as { report: ImportReport };
    expect(report.format).toBe('imagefolder');
    expect(report.warnings.join(' ')).toMatch(/datasets of their own: market-sample \(Market-1501/);
    expect(report.warnings.join(' ')).not.toMatch(/cifar-sample/);
  });

  it('a cancelled import leaves no dataset and no decoded blob', async () => {
    const d = tempDir();
    dirs.push(d);
    const n = 60000;
    writeFileSync(`${d}/train-images-idx3-ubyte`, idxImages(n, 28, 28));
    writeFileSync(`${d}/train-labels-idx1-ubyte`, idxLabels(Array.from({ length: n }, (_, i) => i % 10)));
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n;
    const job = jobs.submit('dataset.import', { path: d });
    // Cancel as soon as the job reports progress (it is then inside the decode loop).
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const s = jobs.summary(job.id);
        if (s.status === 'running' && s.progress) {
          clearInterval(timer);
          jobs.cancel(job.id);
          resolve();
        } else if (s.status !== 'queued' && s.status !== 'running') {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const done = await jobs.waitFor(job.id);
    // A fast machine may finish before the cancel lands; then the dataset must be complete instead.
    const after = (ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n;
    const blobDir = path.join(ws.artifactsDir, 'datasets', `job-${job.id}`);
    if (done.status === 'cancelled') {
      expect(after).toBe(before);
      expect(existsSync(blobDir) ? readdirSync(blobDir) : []).toEqual([]);
    } else {
      expect(done.status).toBe('succeeded');
      expect(readdirSync(blobDir)).toEqual(['images.u8']);
    }
  });
});
