/**
 * kill -9 campaigns: the job process of an import and of a short training run
 * is killed at seeded random moments (fractions of an uninterrupted run's
 * duration). Afterwards the database passes `PRAGMA integrity_check`, no row
 * or decoded folder is left by a killed job (after the next start), and
 * resuming reproduces the uninterrupted result byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
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
import { idxImages, idxLabels, writeFileSync, mkdirSync } from '../datasets/fixtures.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { jobProcessesOf, sleep, until } from './processes.ts';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('kill -9 campaigns (real job processes, real workspace)', () => {
  let root: string;
  let cleanup: () => void;
  let ws: Workspace;
  let jobs: JobManager;
  const rng = mulberry32(hashSeed(20261203, 9));

  const open = (): void => {
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
  };
  /** The host restarting: a new job manager on the same workspace (marks running jobs interrupted, cleans dead jobs' data). */
  const restart = async (): Promise<void> => {
    await jobs.close();
    open();
  };

  beforeAll(() => {
    ({ dir: root, cleanup } = tempDir('wb-kill-'));
    ws = Workspace.open(path.join(root, 'ws'));
    open();
  });
  afterAll(async () => {
    await jobs.close();
    ws.close();
    cleanup();
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

  function integrity(): void {
    expect((ws.db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    expect(ws.db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    // Rows only for jobs that succeeded: a killed import committed nothing.
    const datasetsOfDeadJobs = ws.db.prepare("SELECT d.id FROM datasets d JOIN jobs j ON j.id = d.job_id WHERE j.status != 'succeeded'").all();
    expect(datasetsOfDeadJobs).toEqual([]);
    const modelsOfDeadJobs = ws.db.prepare("SELECT m.id FROM models m JOIN jobs j ON j.id = m.job_id WHERE j.status != 'succeeded'").all();
    expect(modelsOfDeadJobs).toEqual([]);
  }

  it('import: killed at 4 random moments, then verified, cleaned at start and resumed to the uninterrupted result', async () => {
    const data = path.join(root, 'idx');
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'train-images-idx3-ubyte'), idxImages(20000, 28, 28));
    writeFileSync(path.join(data, 'train-labels-idx1-ubyte'), idxLabels(Array.from({ length: 20000 }, (_, i) => i % 10)));
    const started = Date.now();
    const clean = await jobs.waitFor(jobs.submit('datasets.import', { path: data, name: 'clean' }).id);
    const duration = Date.now() - started;
    expect(clean.status, clean.error ?? '').toBe('succeeded');
    const blobOf = (jobId: number): string => {
      const info = JSON.parse((ws.db.prepare('SELECT info FROM datasets WHERE job_id = ?').get(jobId) as { info: string }).info) as { blob: { path: string } };
      return sha(ws.resolve(info.blob.path));
    };
    const reference = blobOf(clean.id);

    const killedIds: number[] = [];
    for (let k = 0; k < 4; k++) {
      const { job, killed } = await killDuring(() => jobs.submit('datasets.import', { path: data, name: `k${k}`, allowDuplicate: true }), rng() * duration * 0.8);
      if (killed) {
        expect(job.status).toBe('failed');
        killedIds.push(job.id);
      }
      integrity();
    }
    expect(killedIds.length).toBeGreaterThan(0);
    // Dead jobs' decoded data is listed until the next start, which removes it.
    for (const o of findOrphanFolders(ws.db, ws.dir)) expect(killedIds).toContain(o.jobId);
    await restart();
    expect(findOrphanFolders(ws.db, ws.dir)).toEqual([]);
    const folders = readdirSync(path.join(ws.dir, 'artifacts', 'datasets'));
    for (const id of killedIds) expect(folders).not.toContain(`job-${id}`);

    const resumed = await jobs.waitFor(jobs.resume(killedIds[0]!).id);
    expect(resumed.status, resumed.error ?? '').toBe('succeeded');
    expect(blobOf(resumed.id)).toBe(reference);
    const counts = ws.db.prepare('SELECT d.job_id AS job, COUNT(s.id) AS n FROM datasets d JOIN samples s ON s.dataset_id = d.id GROUP BY d.id ORDER BY d.id').all() as { job: number; n: number }[];
    expect(counts.map((c) => c.n)).toEqual(counts.map(() => 20000));
    integrity();
  });

  it('training: killed at 3 random moments, each resumed (as often as it takes) to byte-identical weights', async () => {
    const datasetId = await importTinyIdx(ws, path.join(root, 'tiny'));
    const config = {
      dataset: { id: datasetId, validationFraction: 0.25 },
      model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
      epochs: 3,
      batchSize: 16,
      optimizer: { lr: 0.05, momentum: 0.9 },
      seed: 11,
    };
    const weightsOf = (jobId: number): string => {
      const result = JSON.parse((ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(jobId) as { result: string }).result) as TrainResult;
      return sha(path.join(ws.resolve(result.model.dir), 'weights.bin'));
    };
    const started = Date.now();
    const clean = await jobs.waitFor(jobs.submit('train.run', config, { backend: 'cpu' }).id);
    const duration = Date.now() - started;
    expect(clean.status, clean.error ?? '').toBe('succeeded');
    const reference = weightsOf(clean.id);

    let kills = 0;
    for (let k = 0; k < 3; k++) {
      const attempt = await killDuring(() => jobs.submit('train.run', config, { backend: 'cpu' }), 300 + rng() * duration * 0.7);
      let job = attempt.job;
      if (attempt.killed) kills++;
      integrity();
      // Resume the chain until it ends; a resumed run continues from the newest checkpoint along it.
      for (let hops = 0; job.status !== 'succeeded' && hops < 3; hops++) job = await jobs.waitFor(jobs.resume(job.id).id);
      expect(job.status, job.error ?? '').toBe('succeeded');
      expect(weightsOf(job.id)).toBe(reference);
      integrity();
    }
    expect(kills).toBeGreaterThan(0);
    expect(existsSync(ws.dir)).toBe(true);
  });
});
