// @vitest-environment happy-dom
/**
 * The Reproduce form on a class-folder dataset that has no split: its Splits field is the
 * training form's, so it offers the same stratified split. The calls go through the real
 * dispatch (contract validation, handlers) on a real workspace with real image files, and
 * `reproduce.start` queues through a real job manager that starts no process (no compute
 * slot), so its checks of every run are the server's own.
 */
import { describe, it, expect, afterEach, beforeAll, afterAll } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { rmSync } from 'node:fs';
import ReproducePage from '../../src-renderer/src/reproduce/ReproducePage.vue';
import type { CallName } from '../../src-main/common/contract/index.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { listSplits } from '../../src-main/datasets/splits.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir } from '../datasets/fixtures.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import type { Handlers } from './fake-api.ts';
import { classFolders, realHandlers } from './real-dispatch.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

let ws: Workspace;
let jobs: JobManager;
const dirs: string[] = [];
let petsId: number;
let rareId: number;

const real = (names: CallName[]): Handlers => realHandlers(ws, jobs, names);

const handlers = (): Handlers =>
  real(['reproduce.catalogue', 'reproduce.list', 'reproduce.start', 'reproduce.report', 'jobs.list', 'datasets.list', 'datasets.splits.list', 'datasets.splits.create', 'datasets.get']);


beforeAll(async () => {
  ws = Workspace.open(tempDir('wb-ws-'));
  // No compute slot: queued runs stay queued, no process starts.
  jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, computeConcurrency: 0 });
  petsId = (await importDirect(ws, { path: await classFolders({ cat: 10, dog: 10, fox: 10 }, dirs), name: 'pets' })).report.datasetId!;
  rareId = (await importDirect(ws, { path: await classFolders({ cat: 10, dog: 10, okapi: 1 }, dirs), name: 'rare' })).report.datasetId!;
});
afterAll(async () => {
  await jobs.close();
  ws.close();
  for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
});

async function openEntry(datasetId: number): Promise<Mounted['wrapper']> {
  mounted = await mountWithApi(ReproducePage, { handlers: handlers() });
  const w = mounted.wrapper;
  await w.get('[data-test="reproduce-psfp-vs-sfp"]').trigger('click');
  await flushPromises();
  await w.get('[data-test="reproduce-dataset"]').setValue(String(datasetId));
  await flushPromises();
  return w;
}

const queued = (): number => (ws.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'train.run' AND status = 'queued'").get() as { n: number }).n;

describe('reproducing on a dataset that has no split yet', () => {
  it('the Splits field makes a stratified split in one click, chooses it, and the runs queue on it', async () => {
    const w = await openEntry(petsId);
    // Before: the server refuses every run and names the command a CLI user would run.
    await w.get('[data-test="reproduce-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('#reproduce-split-error').text()).toContain(`workbench datasets split ${petsId} --name stratified-80-10-10-s0 --test 0.1 --val 0.1 --seed 0`);
    expect(queued()).toBe(0);
    expect(w.get('[data-test="reproduce-split-unsplit"]').text()).toContain('no train/test split yet');
    const button = w.get('[data-test="reproduce-split-make-button"]');
    expect(button.text()).toBe('Make a stratified 80/10/10 split (seed 0)');
    await button.trigger('click');
    await flushPromises();

    const stored = listSplits(ws.db, petsId).find((s) => s.name === 'stratified-80-10-10-s0');
    expect(stored).toMatchObject({ method: 'random', params: { seed: 0, test: 0.1, val: 0.1, stratify: true }, counts: { train: 24, val: 3, test: 3 } });
    expect((w.get('[data-test="reproduce-split"]').element as HTMLSelectElement).value).toBe('stratified-80-10-10-s0');
    expect(w.find('[data-test="reproduce-split-unsplit"]').exists()).toBe(false);
    expect(w.find('#reproduce-split-error').exists()).toBe(false);
    expect(w.get('[data-test="reproduce-split-made"]').text()).toContain('"stratified-80-10-10-s0" (train 24, val 3, test 3)');

    await w.get('[data-test="reproduce-form"]').trigger('submit');
    await flushPromises();
    const start = mounted!.api.callsOf('reproduce.start').at(-1);
    expect(start).toMatchObject({ entry: 'psfp-vs-sfp', datasetId: petsId, split: 'stratified-80-10-10-s0' });
    // The entry's quick scale: two runs (SFP, PSFP) for each of its two seeds.
    expect(queued()).toBe(4);
    const params = (ws.db.prepare("SELECT params FROM jobs WHERE kind = 'train.run' ORDER BY id").all() as { params: string }[]).map((r) => JSON.parse(r.params) as { dataset: { id: number; split?: string } });
    expect(params.every((p) => p.dataset.id === petsId && p.dataset.split === 'stratified-80-10-10-s0')).toBe(true);
    expect(w.get('[data-test="reproduce-started"]').text()).toContain('PSFP vs SFP');
  });

  it('a class too small to split is named in the form, and nothing is stored or queued', async () => {
    const before = queued();
    const w = await openEntry(rareId);
    await w.get('[data-test="reproduce-split-make-button"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="reproduce-split-make"] [role="alert"]').text()).toMatch(/class "okapi" \(1 image\) has too few images/);
    expect(listSplits(ws.db, rareId).map((s) => s.name)).toEqual(['imported']);
    expect(w.find('[data-test="reproduce-split-unsplit"]').exists()).toBe(true);
    expect(queued()).toBe(before);
  });
});
