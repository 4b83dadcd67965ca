/**
 * Nothing half-written on cancel or crash: each localization job, run in a real
 * job process on a real workspace, is cancelled or killed (SIGKILL) once it has
 * reported progress. Afterwards no dataset or model row names it, no artifact
 * row names a missing file, no `.part` file is left, and after the next start
 * no folder of it remains (the train job's checkpoint is kept for resume: it
 * is a complete one or none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { findOrphanFolders } from '../../src-main/core/orphans.ts';
import type { JobSummary } from '../../src-main/common/contract/index.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { jobProcessesOf, until } from '../reliability/processes.ts';
import { addObjectDataset } from './helpers.ts';

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? [p, ...files(p)] : [p];
  });
}

let root: string;
let cleanup: () => void;
let ws: Workspace;
let jobs: JobManager;
let objects = 0;
let set = 0;
let model = 0;

const open = (): void => {
  jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
  jobs.start();
};

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('wb-loc-stop-'));
  ws = Workspace.open(path.join(root, 'ws'));
  open();
  objects = await addObjectDataset(ws, path.join(root, 'objects'), 370, 16);
  const gen = await jobs.waitFor(jobs.submit('localize.generate', { objectDatasetId: objects, recipe: 'cluttered', canvas: 32, train: 60, val: 20, test: 1000, seed: 3 }).id);
  expect(gen.status, gen.error ?? '').toBe('succeeded');
  set = (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(gen.id) as { id: number }).id;
  const train = await jobs.waitFor(jobs.submit('localize.train', { datasetId: set, method: 'spg', arch: 'resnet20', widthMultiplier: 0.25, epochs: 1, batchSize: 20, spg: { branchChannels: 4 } }, { backend: 'wasm' }).id);
  expect(train.status, train.error ?? '').toBe('succeeded');
  model = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(train.id) as { id: number }).id;
}, 180_000);

afterAll(async () => {
  await jobs?.close();
  ws?.close();
  cleanup?.();
});

/** The localization jobs, each sized to run for a while on this machine. */
const registry: [string, () => JobSummary][] = [
  ['localize.generate', () => jobs.submit('localize.generate', { objectDatasetId: objects, recipe: 'cluttered', canvas: 256, fragments: 32, train: 400, val: 0, test: 20, seed: 9 })],
  ['localize.train', () => jobs.submit('localize.train', { datasetId: set, method: 'spg', arch: 'resnet20', widthMultiplier: 0.25, epochs: 50, batchSize: 4, spg: { branchChannels: 4 } }, { backend: 'wasm' })],
  ['localize.eval', () => jobs.submit('localize.eval', { modelId: model, datasetId: set }, { backend: 'wasm' })],
  ['localize.maps', () => jobs.submit('localize.maps', { modelId: model, datasetId: set, split: 'test', limit: 1000 }, { backend: 'wasm' })],
];
const cases = registry.flatMap(([kind, submit]) => (['cancel', 'SIGKILL'] as const).map((how) => [kind, how, submit] as const));

describe('localization jobs stopped mid-way leave nothing half-written (real job processes)', () => {
  it.each(cases)('%s, %s', async (_kind, how, submit) => {
    const before = new Set(jobProcessesOf(process.pid));
    const id = submit().id;
    const pid = await until('the job process', () => jobProcessesOf(process.pid).find((p) => !before.has(p)), 60_000);
    // Stopped once it has done some of its work.
    await until('progress', () => (jobs.summary(id).progress?.fraction ?? 0) > 0 || ['succeeded', 'failed'].includes(jobs.summary(id).status), 120_000);
    expect(jobs.summary(id).status, 'the job must still run when it is stopped').toBe('running');
    if (how === 'cancel') jobs.cancel(id);
    else process.kill(pid, 'SIGKILL');
    const job = await jobs.waitFor(id);
    expect(job.status).toBe(how === 'cancel' ? 'cancelled' : 'failed');

    expect((ws.db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    expect(ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').all(id)).toEqual([]);
    expect(ws.db.prepare('SELECT id FROM models WHERE job_id = ?').all(id)).toEqual([]);
    const dangling = (ws.db.prepare('SELECT path FROM artifacts').all() as { path: string }[]).filter((a) => !existsSync(ws.resolve(a.path)));
    expect(dangling).toEqual([]);
    // A checkpoint left for resume is a whole one: its state names an epoch and its weights are there.
    const checkpoint = path.join(ws.jobDir(id), 'checkpoint');
    if (existsSync(checkpoint)) expect(readdirSync(checkpoint)).toEqual(expect.arrayContaining(['state.json']));

    // The next start removes what the stopped job wrote that nothing refers to.
    await jobs.close();
    open();
    expect(findOrphanFolders(ws.db, ws.dir)).toEqual([]);
    expect(files(path.join(ws.dir, 'artifacts')).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 300_000);
});
