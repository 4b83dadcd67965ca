import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import type { JobProcessHandle, JobProcessLauncher } from '../../src-main/core/jobs/protocol.ts';
import { insertArtifact } from '../../src-main/core/artifacts.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { JobProgress } from '../../src-main/common/contract/index.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from '../train/fixtures.ts';

/** Real job processes, with a handle on each so a test can kill one the way a crash would. */
function recordingLauncher(): { launcher: JobProcessLauncher; handles: JobProcessHandle[] } {
  const handles: JobProcessHandle[] = [];
  return {
    handles,
    launcher: (env) => {
      const h = forkLauncher(env);
      handles.push(h);
      return h;
    },
  };
}

/** Writes `count` random files of `mib` MiB as artifacts; returns their hashes. */
function addArtifacts(ws: Workspace, count: number, mib: number, withHash = false): string[] {
  const dir = path.join(ws.artifactsDir, 'blobs');
  mkdirSync(dir, { recursive: true });
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `blob-${i}.bin`);
    const data = randomBytes(mib * 2 ** 20);
    writeFileSync(file, data);
    const hash = createHash('sha256').update(data).digest('hex');
    hashes.push(hash);
    insertArtifact(ws, { kind: 'checkpoint', absPath: file, sha256: withHash ? hash : undefined });
  }
  return hashes;
}

function firstProgress(events: EventBus, id: number): Promise<JobProgress> {
  return new Promise((resolve) => {
    const off = events.on('job.progress', (e) => {
      if (e.id === id) {
        off();
        resolve(e.progress);
      }
    });
  });
}

describe('JobManager with real job processes', () => {
  let cleanup = (): void => {};
  let closeAll: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closeAll) await c();
    closeAll = [];
    cleanup();
  });

  function setup(): { ws: Workspace; events: EventBus; jobs: JobManager; handles: JobProcessHandle[]; dir: string } {
    const t = tempDir();
    cleanup = t.cleanup;
    const ws = Workspace.open(t.dir);
    const events = new EventBus();
    const rec = recordingLauncher();
    const jobs = new JobManager(ws, events, { specs: jobSpecs, launcher: rec.launcher, cancelGraceSeconds: 5 });
    closeAll.push(async () => {
      await jobs.close();
      ws.close();
    });
    return { ws, events, jobs, handles: rec.handles, dir: t.dir };
  }

  it('runs a job to completion, streams progress and commits its result with the status', async () => {
    const { ws, events, jobs } = setup();
    const hashes = addArtifacts(ws, 3, 1);
    const seen: JobProgress[] = [];
    events.on('job.progress', (e) => seen.push(e.progress));
    const job = jobs.submit('workspace.verify', {});
    expect(job.status === 'queued' || job.status === 'running').toBe(true);
    const done = await jobs.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.fraction).toBe(1);
    // The stored progress is the last report even when it came within the write throttle (lists showed 0% done).
    expect(done.progress).toEqual(seen.at(-1));
    expect(jobs.list().find((j) => j.id === job.id)?.progress?.fraction).toBe(1);
    // onComplete ran in the writer: the missing hashes are now recorded.
    const stored = (ws.db.prepare('SELECT sha256 FROM artifacts ORDER BY id').all() as { sha256: string }[]).map((r) => r.sha256);
    expect(stored).toEqual(hashes);
    const row = ws.db.prepare('SELECT result, params FROM jobs WHERE id = ?').get(job.id) as { result: string; params: string };
    expect(JSON.parse(row.result)).toMatchObject({ checked: 3, problems: [] });
    expect(JSON.parse(row.params)).toEqual({ chunkMiB: 4 });
  });

  it('reports changed artifacts as problems', async () => {
    const { ws, jobs } = setup();
    addArtifacts(ws, 2, 1, true);
    writeFileSync(path.join(ws.artifactsDir, 'blobs', 'blob-1.bin'), 'tampered');
    const done = await jobs.waitFor(jobs.submit('workspace.verify', {}).id);
    const result = jobs.list()[0];
    expect(done.status).toBe('succeeded');
    const detail = JSON.parse((ws.db.prepare('SELECT result FROM jobs WHERE id=?').get(result!.id) as { result: string }).result);
    expect(detail.problems.map((p: { problem: string }) => p.problem)).toEqual(expect.arrayContaining([expect.stringMatching(/size is 8 bytes/), 'content changed (SHA-256 differs)']));
  });

  it('refuses invalid params before queueing, naming the field', () => {
    const { jobs, ws } = setup();
    expect(() => jobs.submit('workspace.verify', { chunkMiB: 0 })).toThrow(ApiError);
    try {
      jobs.submit('workspace.verify', { chunkMiB: 'big' });
    } catch (err) {
      expect((err as ApiError).field).toBe('params.chunkMiB');
    }
    expect(() => jobs.submit('no.such.kind', {})).toThrow(/Unknown job kind "no.such.kind"/);
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });

  it('cancels a running job', async () => {
    const { ws, events, jobs } = setup();
    addArtifacts(ws, 40, 4);
    const job = jobs.submit('workspace.verify', {});
    await firstProgress(events, job.id);
    jobs.cancel(job.id);
    const done = await jobs.waitFor(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.resumable).toBe(true);
    const stored = ws.db.prepare('SELECT COUNT(*) AS n FROM artifacts WHERE sha256 IS NOT NULL').get() as { n: number };
    expect(stored.n).toBe(0); // nothing of a cancelled job's result was committed
  });

  it('marks a crashed job failed with the reason, and keeps serving', async () => {
    const { ws, events, jobs, handles } = setup();
    addArtifacts(ws, 40, 4);
    const job = jobs.submit('workspace.verify', {});
    await firstProgress(events, job.id);
    handles[0]!.kill();
    const done = await jobs.waitFor(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/exited unexpectedly \(signal SIGKILL\)/);
    // The manager goes on: the next job runs.
    const next = await jobs.waitFor(jobs.submit('workspace.verify', {}).id);
    expect(next.status).toBe('succeeded');
  });

  it('marks jobs that were running at shutdown interrupted, and resumes them from their checkpoint', async () => {
    const { ws, events, jobs, dir } = setup();
    addArtifacts(ws, 30, 4);
    const job = jobs.submit('workspace.verify', {});
    // Wait until a few artifacts are checkpointed, then stop the app abruptly.
    await new Promise<void>((resolve) => {
      const off = events.on('job.progress', (e) => {
        if (e.id === job.id && (e.progress.fraction ?? 0) >= 0.2) {
          off();
          resolve();
        }
      });
    });
    await jobs.close();
    expect(existsSync(path.join(ws.jobDir(job.id), 'verify-checkpoint.json'))).toBe(true);

    // A new session on the same workspace.
    const ws2 = Workspace.open(dir);
    const jobs2 = new JobManager(ws2, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    closeAll.push(async () => {
      await jobs2.close();
      ws2.close();
    });
    const after = jobs2.summary(job.id);
    expect(after.status).toBe('interrupted');
    expect(after.resumable).toBe(true);
    const resumed = jobs2.resume(job.id);
    expect(resumed.parentJobId).toBe(job.id);
    // Once continued, the old job is no longer offered for resuming, and a second resume is refused.
    expect(jobs2.summary(job.id).resumable).toBe(false);
    expect(jobs2.list().find((j) => j.id === job.id)?.resumable).toBe(false);
    expect(() => jobs2.resume(job.id)).toThrow(`already resumed as job ${resumed.id}`);
    const done = await jobs2.waitFor(resumed.id);
    expect(done.status).toBe('succeeded');
    const result = JSON.parse((ws2.db.prepare('SELECT result FROM jobs WHERE id=?').get(resumed.id) as { result: string }).result);
    expect(result.resumedAt).toBeGreaterThan(0);
    expect(result.checked).toBe(30);
    expect(Object.keys(result.filled)).toHaveLength(30);
  });

  it('cancels a queued job without starting it', async () => {
    const { ws, jobs } = setup();
    addArtifacts(ws, 1, 1);
    // io concurrency is 2: the third waits in the queue.
    const a = jobs.submit('workspace.verify', {});
    const b = jobs.submit('workspace.verify', {});
    const c = jobs.submit('workspace.verify', {});
    expect(jobs.summary(c.id).status).toBe('queued');
    expect(jobs.cancel(c.id).status).toBe('cancelled');
    await jobs.waitFor(a.id);
    await jobs.waitFor(b.id);
    expect(jobs.summary(c.id).startedAt).toBeNull();
  });

  it('a sweep run locally: one job per value, queued one after another in one sweep, each its own model; a bad value refuses the whole sweep', async () => {
    const { ws, jobs, dir } = setup();
    const datasetId = await importTinyIdx(ws, path.join(dir, 'idx'), { train: 32, test: 8 });
    const params = {
      dataset: { id: datasetId, validationFraction: 0.25 },
      model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
      epochs: 1,
      batchSize: 16,
      prune: { method: 'sfp', rate: 0.3 },
      seed: 3,
    };
    const before = jobs.list().length;
    expect(() => jobs.sweep('train.run', params, { field: 'prune.rate', values: [0.2, 1.5] })).toThrow(/sweep value 2 \(prune.rate = 1.5\): params.prune.rate/);
    expect(() => jobs.sweep('train.run', params, { field: 'epochs.count', values: [1] })).toThrow(/epochs, which is not an object/);
    expect(jobs.list().length).toBe(before);

    const { sweepId, jobs: members } = jobs.sweep('train.run', params, { field: 'prune.rate', values: [0.1, 0.2] }, { backend: 'cpu' });
    expect(members.map((m) => m.sweepId)).toEqual([sweepId, sweepId]);
    expect(members.map((m) => m.runOn)).toEqual(['local', 'local']);
    // One compute job at a time: the second waits for the first.
    expect(jobs.summary(members[1]!.id).status).toBe('queued');
    const ends = [await jobs.waitFor(members[0]!.id), await jobs.waitFor(members[1]!.id)];
    expect(ends.map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    expect(Date.parse(ends[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ends[0]!.finishedAt!));
    const rates = members.map((m) => (ws.db.prepare('SELECT rate FROM models WHERE job_id = ?').get(m.id) as { rate: number }).rate);
    expect(rates).toEqual([0.1, 0.2]);
    expect(jobs.list({ sweepId }).map((j) => j.id).sort()).toEqual(members.map((m) => m.id).sort());
  }, 120_000);

  it('runOn slurm without a Slurm launcher is refused naming runOn', () => {
    const { jobs } = setup();
    expect(() => jobs.submit('workspace.verify', {}, { runOn: { slurm: 'lab' } })).toThrow(expect.objectContaining({ field: 'runOn' }));
  });
});
