// @vitest-environment happy-dom
/**
 * The training form on a class-folder dataset that has no split: the Splits field offers a
 * stratified split right there. The calls it makes go through the real dispatch (contract
 * validation, handlers) on a real workspace with real image files; only the job queue is
 * left out (jobs.submit answers queued without starting a process).
 */
import { describe, it, expect, afterEach, beforeAll, afterAll } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { rmSync } from 'node:fs';
import { defineComponent, h } from 'vue';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import DatasetsView from '../../src-renderer/src/datasets/DatasetsView.vue';
import { jobForms } from '../../src-renderer/src/job-forms/index.ts';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import type { CallName, JobSummary } from '../../src-main/common/contract/index.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { listSplits } from '../../src-main/datasets/splits.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir } from '../datasets/fixtures.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import type { Handlers } from './fake-api.ts';
import { classFolders, realHandlers } from './real-dispatch.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

/** The training job form alone, as the New run page mounts it. */
const TrainForm = defineComponent({ setup: () => { const def = jobForms[jobKinds.trainRun](); return () => h(FormJob, { def }); } });

let ws: Workspace;
const dirs: string[] = [];
let petsId: number;
let rareId: number;
let unevenId: number;

const real = (names: CallName[]): Handlers => realHandlers(ws, null, names);

function formHandlers(): Handlers {
  return {
    ...real(['datasets.list', 'datasets.splits.list', 'datasets.splits.create', 'datasets.get', 'datasets.samples', 'datasets.stats', 'train.validateConfig', 'models.architectures']),
    'models.list': () => [],
    'augment.pipelines.list': () => [],
    'jobs.submit': ({ kind }: { kind: string }): JobSummary => job({ id: 50, kind, status: 'queued', progress: null }),
  };
}


beforeAll(async () => {
  ws = Workspace.open(tempDir('wb-ws-'));
  petsId = (await importDirect(ws, { path: await classFolders({ cat: 10, dog: 10, fox: 10 }, dirs), name: 'pets' })).report.datasetId!;
  rareId = (await importDirect(ws, { path: await classFolders({ cat: 10, dog: 10, okapi: 1 }, dirs), name: 'rare' })).report.datasetId!;
  unevenId = (await importDirect(ws, { path: await classFolders({ cat: 10, dog: 10, small: 4 }, dirs), name: 'uneven' })).report.datasetId!;
});
afterAll(() => {
  ws.close();
  for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
});

async function chooseDataset(w: Mounted['wrapper'], id: number): Promise<void> {
  await w.get('[data-test="tr-dataset"]').setValue(String(id));
  await flushPromises();
}

describe('training on a dataset that has no split yet', () => {
  it('the Splits field makes a stratified split in one click, chooses it, and the run submits with it', async () => {
    mounted = await mountWithApi(TrainForm, { handlers: formHandlers() });
    const w = mounted.wrapper;
    await flushPromises();
    await chooseDataset(w, petsId);
    // Before: the server's own check refuses the run and names the command a CLI user would run.
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(w.text()).toContain(`workbench datasets split ${petsId} --name stratified-80-10-10-s0 --test 0.1 --val 0.1 --seed 0`);
    expect(mounted.api.callsOf('jobs.submit')).toEqual([]);

    const button = w.get('[data-test="tr-split-set-make-button"]');
    expect(button.text()).toBe('Make a stratified 80/10/10 split (seed 0)');
    await w.get('[data-test="tr-split-set-make-seed"]').setValue('3');
    await w.get('[data-test="tr-split-set-make-test"]').setValue('20');
    expect(button.text()).toBe('Make a stratified 70/10/20 split (seed 3)');
    expect(w.get('[data-test="tr-split-set-make"]').text()).toContain('"stratified-70-10-20-s3"');
    await button.trigger('click');
    await flushPromises();

    // Stored like any split: named, with its seed and shares, every sample in one part.
    const stored = listSplits(ws.db, petsId).find((s) => s.name === 'stratified-70-10-20-s3');
    expect(stored).toMatchObject({ method: 'random', params: { method: 'random', seed: 3, test: 0.2, val: 0.1, stratify: true }, counts: { train: 21, val: 3, test: 6 } });
    // Chosen at once, the offer gone, and the train/test pickers read its parts.
    expect((w.get('[data-test="tr-split-set"]').element as HTMLSelectElement).value).toBe('stratified-70-10-20-s3');
    expect(w.find('[data-test="tr-split-set-unsplit"]').exists()).toBe(false);
    expect(w.get('[data-test="tr-split-set-made"]').text()).toContain('"stratified-70-10-20-s3" (train 21, val 3, test 6)');
    expect(w.get('[data-test="tr-train-split"]').findAll('option').map((o) => o.text()).sort()).toEqual(['test', 'train', 'val']);
    expect((w.get('[data-test="tr-test-split"]').element as HTMLSelectElement).value).toBe('test');

    await w.get('form').trigger('submit');
    await flushPromises();
    const sent = mounted.api.callsOf('jobs.submit').at(-1) as { params: { dataset: Record<string, unknown> } } | undefined;
    expect(sent?.params.dataset).toMatchObject({ id: petsId, split: 'stratified-70-10-20-s3', trainSplit: 'train', testSplit: 'test' });

    // The dataset's Splits tab lists it like a split made there.
    mounted.wrapper.unmount();
    mounted = await mountWithApi(DatasetsView, { props: { id: petsId }, handlers: formHandlers() });
    await mounted.wrapper.get('[data-test="tab-splits"]').trigger('click');
    await flushPromises();
    const row = mounted.wrapper.get('[data-test="split-stratified-70-10-20-s3"]').text();
    expect(row).toMatch(/random, seed 3, per class/);
    for (const part of ['train 21', 'val 3', 'test 6']) expect(row).toContain(part);
  });

  it('a class too small to split is named, bad shares are refused on their field, and nothing is stored or submitted', async () => {
    mounted = await mountWithApi(TrainForm, { handlers: formHandlers() });
    const w = mounted.wrapper;
    await flushPromises();
    await chooseDataset(w, rareId);
    // Enter in the offer's inputs makes the split (it does not start the run).
    await w.get('[data-test="tr-split-set-make-test"]').trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.get('[data-test="tr-split-set-make"] [role="alert"]').text()).toMatch(/class "okapi" \(1 image\) has too few images .*untick "Per class"/);
    await w.get('[data-test="tr-split-set-make-test"]').setValue('60');
    await w.get('[data-test="tr-split-set-make-val"]').setValue('50');
    await w.get('[data-test="tr-split-set-make-button"]').trigger('click');
    await flushPromises();
    expect(w.get('#tr-split-set-make-test-error').text()).toMatch(/test \+ val must leave something to train on/);
    expect(listSplits(ws.db, rareId).map((s) => s.name)).toEqual(['imported']);
    expect(mounted.api.callsOf('train.validateConfig')).toEqual([]);
    expect(mounted.api.callsOf('jobs.submit')).toEqual([]);
    expect(w.find('[data-test="tr-split-set-unsplit"]').exists()).toBe(true);

    // The dataset's Splits tab: the same refusal sits beside "Per class", the control it names.
    mounted.wrapper.unmount();
    mounted = await mountWithApi(DatasetsView, { props: { id: rareId }, handlers: formHandlers() });
    const v = mounted.wrapper;
    await v.get('[data-test="tab-splits"]').trigger('click');
    await flushPromises();
    await v.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    expect(v.get('#split-stratify-error').text()).toMatch(/class "okapi" \(1 image\) has too few images .*untick "Per class"/);
    expect(v.find('[data-test="split-editor"] .error-banner').exists()).toBe(false);
    expect(listSplits(ws.db, rareId).map((s) => s.name)).toEqual(['imported']);
  });
});

describe('a split that leaves a class out of a part', () => {
  it('is made, and the notice under it names the class and the part, on the form and on the Splits tab', async () => {
    // small has 4 images: 10% of 4 rounds to no test and no val image.
    mounted = await mountWithApi(TrainForm, { handlers: formHandlers() });
    const w = mounted.wrapper;
    await flushPromises();
    await chooseDataset(w, unevenId);
    await w.get('[data-test="tr-split-set-make-button"]').trigger('click');
    await flushPromises();
    expect((w.get('[data-test="tr-split-set"]').element as HTMLSelectElement).value).toBe('stratified-80-10-10-s0');
    expect(w.get('[data-test="tr-split-set-made"]').text()).toContain('(train 20, val 2, test 2)');
    expect(w.get('[data-test="tr-split-set-made-test"]').text()).toBe('The test part has no image of class "small" (too few images for the share); test results will not cover it.');
    expect(w.get('[data-test="tr-split-set-made-val"]').text()).toMatch(/^The val part has no image of class "small"/);

    mounted.wrapper.unmount();
    mounted = await mountWithApi(DatasetsView, { props: { id: unevenId }, handlers: formHandlers() });
    const v = mounted.wrapper;
    await v.get('[data-test="tab-splits"]').trigger('click');
    await flushPromises();
    // Listed later, a split says nothing more: the notice belongs to the answer that made it.
    expect(v.find('[data-test="split-notice-stratified-80-10-10-s0"]').exists()).toBe(false);
    await v.get('[data-test="split-name"]').setValue('tab');
    await v.get('[data-test="split-test"]').setValue('20');
    await v.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    expect(v.get('[data-test="split-tab"]').text()).toContain('train 19 · test 5');
    // 20% of 4 is 1: small has its test image, and no val was asked: no notice.
    expect(v.find('[data-test="split-notice-tab"]').exists()).toBe(false);
    await v.get('[data-test="split-name"]').setValue('tab-val');
    await v.get('[data-test="split-test"]').setValue('20');
    await v.get('[data-test="split-val"]').setValue('10');
    await v.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    expect(v.get('[data-test="split-notice-tab-val"]').text()).toBe('The val part has no image of class "small" (too few images for the share); val results will not cover it.');
    expect(listSplits(ws.db, unevenId).map((s) => s.name)).toEqual(['imported', 'stratified-80-10-10-s0', 'tab', 'tab-val']);
  });
});
