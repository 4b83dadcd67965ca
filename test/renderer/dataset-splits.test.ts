// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import DatasetsView from '../../src-renderer/src/datasets/DatasetsView.vue';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import { jobForms } from '../../src-renderer/src/job-forms/index.ts';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { DatasetSplit, JobSummary, Req } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset, datasetDetail } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
  vi.restoreAllMocks();
});

const imported: DatasetSplit = { name: 'imported', method: 'imported', params: {}, counts: { '(none)': 30 }, createdAt: null };
const r1: DatasetSplit = { name: 'r1', method: 'random', params: { method: 'random', seed: 7, test: 0.3, val: 0.1, stratify: true }, counts: { test: 9, val: 3, train: 18 }, createdAt: '2026-12-04T03:00:00Z' };
// Stored order (test, val, train) is not the shown order: every list shows train, val, test.

describe('the Splits tab of a dataset', () => {
  it('lists the imported and the named splits, makes a split from percentages, and shows a refusal on its field', async () => {
    let splits: DatasetSplit[] = [imported];
    mounted = await mountWithApi(DatasetsView, {
      props: { id: 1 },
      handlers: {
        'datasets.get': () => datasetDetail(),
        'datasets.samples': () => ({ total: 0, offset: 0, items: [] }),
        'datasets.splits.list': () => splits,
        'datasets.splits.create': (req: Req<'datasets.splits.create'>) => {
          if (req.name === 'r1' && splits.some((s) => s.name === 'r1')) throw new ApiError('conflict', 'Dataset 1 already has a split "r1"', 'name');
          splits = [...splits, r1];
          return r1;
        },
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="tab-splits"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="split-imported"]').text()).toContain('(none) 30');
    await w.get('[data-test="split-method"]').setValue('random');
    await w.get('[data-test="split-name"]').setValue('r1');
    await w.get('[data-test="split-seed"]').setValue('7');
    await w.get('[data-test="split-test"]').setValue('30');
    await w.get('[data-test="split-val"]').setValue('10');
    await w.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.splits.create')).toEqual([{ datasetId: 1, name: 'r1', seed: 7, method: 'random', test: 0.3, val: 0.1, stratify: true }]);
    expect(w.get('[data-test="split-r1"]').text()).toMatch(/random, seed 7, per class.*train 18 · val 3 · test 9/);
    // The same name again: the server's refusal lands on the name field.
    await w.get('[data-test="split-name"]').setValue('r1');
    await w.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    expect(w.get('#split-name-error').text()).toContain('already has a split "r1"');
  });
});

/** The training job form alone, as the New run page mounts it. */
const TrainForm = defineComponent({ setup: () => { const def = jobForms[jobKinds.trainRun](); return () => h(FormJob, { def }); } });

describe('the training form offers the splits a dataset has', () => {
  it('a named split replaces the imported parts in the train and test pickers and is sent as dataset.split', async () => {
    const queued = (kind: string): JobSummary => job({ id: 50, kind, status: 'queued', progress: null });
    mounted = await mountWithApi(TrainForm, {
      handlers: {
        'datasets.list': () => [dataset({ id: 3, name: 'pets', counts: { ...dataset().counts, splits: { none: 30 } } })],
        'datasets.splits.list': () => [imported, r1],
        'models.list': () => [],
        'models.architectures': () => [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }],
        'augment.pipelines.list': () => [],
        'train.validateConfig': ({ config }: { config: unknown }) => ({ ok: true as const, config: config as never }),
        'jobs.submit': ({ kind }: { kind: string }) => queued(kind),
      },
    });
    const w = mounted.wrapper;
    await flushPromises();
    const options = (sel: string) => w.get(sel).findAll('option').map((o) => o.text());
    expect(options('[data-test="tr-split-set"]')).toEqual(['as imported (folders)', 'r1 (train 18, val 3, test 9)']);
    // The import found no test part, so the named split with one is the first choice.
    expect((w.get('[data-test="tr-split-set"]').element as HTMLSelectElement).value).toBe('r1');
    await flushPromises();
    expect(options('[data-test="tr-train-split"]')).toEqual(['train', 'val', 'test']);
    expect(options('[data-test="tr-test-split"]')).toEqual(['none', 'train', 'val', 'test']);
    await w.get('form').trigger('submit');
    await flushPromises();
    const sent = mounted.api.callsOf('jobs.submit').at(-1) as { params: { dataset: Record<string, unknown> } } | undefined;
    expect(sent?.params.dataset).toMatchObject({ id: 3, split: 'r1', trainSplit: 'train', testSplit: 'test' });
  });
});

describe('the first choice of splits', () => {
  it.each([
    ['keeps the import when its folders have a test part', { train: 21, test: 9 }, 'as imported (folders)'],
    ['takes the newest named split when the import has no test part', { '(none)': 30 }, 'r1 (train 18, val 3, test 9)'],
  ])('%s', async (_what, importedCounts, chosen) => {
    mounted = await mountWithApi(TrainForm, {
      handlers: {
        'datasets.list': () => [dataset({ id: 3, name: 'pets' })],
        'datasets.splits.list': () => [{ ...imported, counts: importedCounts }, { ...r1, name: 'r0' }, r1],
        'models.list': () => [],
        'models.architectures': () => [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }],
        'augment.pipelines.list': () => [],
      },
    });
    await flushPromises();
    const select = mounted.wrapper.get('[data-test="tr-split-set"]').element as HTMLSelectElement;
    expect(select.selectedOptions[0]?.text).toBe(chosen);
  });
});

describe('a dataset without a train part', () => {
  it.each([
    ['says so when neither the import nor a named split has one', [imported], true],
    ['says nothing once a named split exists', [imported, r1], false],
    ['says nothing when the import has a train part', [{ ...imported, counts: { train: 21, test: 9 } }], false],
  ])('%s', async (_what, splits, shown) => {
    mounted = await mountWithApi(TrainForm, {
      handlers: {
        'datasets.list': () => [dataset({ id: 3, name: 'pets' })],
        'datasets.splits.list': () => splits,
        'models.list': () => [],
        'models.architectures': () => [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }],
        'augment.pipelines.list': () => [],
      },
    });
    await flushPromises();
    const note = mounted.wrapper.find('[data-test="tr-split-set-unsplit"]');
    expect(note.exists()).toBe(shown);
    if (shown) expect(note.text()).toContain('Splits tab');
  });
});

describe('a refusal of the Splits tab\'s split', () => {
  // Each field the server may name is shown beside its control; anything else stays in the banner.
  it.each([
    ['name', 'random', 'Dataset 1 already has a split "r1"', '#split-name-error'],
    ['seed', 'random', 'seed: must be at most 2147483647', '#split-seed-error'],
    ['test', 'random', 'test: test + val must leave something to train on', '#split-test-error'],
    ['val', 'random', 'val: test + val must leave something to train on', '#split-val-error'],
    ['stratify', 'random', 'Dataset 1 cannot be split per class at test 20%: class "okapi" (1 image) has too few images', '#split-stratify-error'],
    ['trainPersons', 'reid', 'trainPersons: must leave persons to test on', '#split-train-persons-error'],
    ['datasetId', 'random', 'Dataset 1 does not exist.', '[data-test="split-editor"] .error-banner'],
    ['test', 'reid', 'test: not a field of this method', '[data-test="split-editor"] .error-banner'],
  ])('naming %s (%s) is shown at %s', async (field, method, text, where) => {
    mounted = await mountWithApi(DatasetsView, {
      props: { id: 1 },
      handlers: {
        'datasets.get': () => datasetDetail({ counts: { ...datasetDetail().counts, identities: 4 } }),
        'datasets.samples': () => ({ total: 0, offset: 0, items: [] }),
        'datasets.splits.list': () => [imported],
        'datasets.splits.create': () => {
          throw new ApiError('invalid_request', text, field);
        },
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="tab-splits"]').trigger('click');
    await flushPromises();
    await w.get('[data-test="split-method"]').setValue(method);
    await w.get('[data-test="split-editor"]').trigger('submit');
    await flushPromises();
    const alerts = w.get('[data-test="split-editor"]').findAll('[role="alert"]');
    expect(alerts).toHaveLength(1);
    expect(w.get(where).text()).toContain(text.replace(`${field}: `, ''));
  });
});
