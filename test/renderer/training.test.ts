// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { ModelInfo, Req, RunPredictions, TrainingRunDetail } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset, datasetDetail, sampleAt, sampleDetail } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const architectures: ModelInfo[] = [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }];
const base = {
  'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
  'augment.pipelines.list': () => [{ id: 2, name: 'flip-crop', spec: { version: 1 as const, steps: [] }, createdAt: '' }],
  'models.architectures': () => architectures,
  'models.list': () => [],
};

describe('new training run', () => {
  it('submits a train job with the SFP settings and the saved pipeline, then opens the run', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/new',
      handlers: {
        ...base,
        'train.validateConfig': ({ config }) => ({ ok: true, config: config as never }),
        'jobs.submit': () => job({ id: 30, kind: 'train.run', status: 'queued', progress: null }),
        'train.get': () => { throw new ApiError('not_found', 'not started'); },
        'jobs.metrics': () => [],
      },
    });
    await flushPromises();
    await mounted.wrapper.get('[data-test="tr-epochs"]').setValue('12');
    await mounted.wrapper.get('[data-test="tr-pipeline"]').setValue('2');
    await mounted.wrapper.get('[data-test="tr-prune"]').setValue('sfp');
    await mounted.wrapper.get('[data-test="tr-rate"]').setValue('0.4');
    await mounted.wrapper.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    const submitted = mounted.api.callsOf('jobs.submit')[0] as { kind: string; params: Record<string, unknown> };
    expect(submitted.kind).toBe('train.run');
    expect(submitted.params).toMatchObject({
      dataset: { id: 3, trainSplit: 'train', testSplit: 'test' },
      model: { arch: 'resnet20', options: { shortcut: 'A' } },
      epochs: 12,
      augment: { pipelineId: 2 },
      prune: { method: 'sfp', rate: 0.4, interval: 1 },
      schedule: { kind: 'step', milestones: [6, 9], gamma: 0.2 },
    });
    expect(mounted.router.currentRoute.value.path).toBe('/training/30');
  });

  it('sends a test-set limit, and milestones follow the epochs until the user edits them', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/new',
      handlers: {
        ...base,
        'train.validateConfig': ({ config }) => ({ ok: true, config: config as never }),
        'jobs.submit': () => job({ id: 31, kind: 'train.run', status: 'queued', progress: null }),
        'train.get': () => { throw new ApiError('not_found', 'not started'); },
        'jobs.metrics': () => [],
      },
    });
    await flushPromises();
    const w = mounted.wrapper;
    const milestones = () => (w.get('[data-test="tr-milestones"]').element as HTMLInputElement).value;
    expect(milestones()).toBe('5, 8');
    await w.get('[data-test="tr-epochs"]').setValue('2');
    expect(milestones()).toBe('1');
    await w.get('[data-test="tr-epochs"]').setValue('20');
    expect(milestones()).toBe('10, 15');
    // A user's own milestones stay when the epochs change.
    await w.get('[data-test="tr-milestones"]').setValue('3, 7');
    await w.get('[data-test="tr-epochs"]').setValue('8');
    expect(milestones()).toBe('3, 7');
    // Emptied, the field takes its default back (its hint says so) and follows the epochs again.
    await w.get('[data-test="tr-milestones"]').setValue('');
    expect(milestones()).toBe('4, 6');
    expect(w.text()).not.toContain('Milestone epochs is required');
    await w.get('[data-test="tr-epochs"]').setValue('12');
    expect(milestones()).toBe('6, 9');
    await w.get('[data-test="tr-milestones"]').setValue('3, 7');
    await w.get('[data-test="tr-epochs"]').setValue('8');
    await w.get('[data-test="tr-test-limit"]').setValue('500');
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    const submitted = mounted.api.callsOf('jobs.submit')[0] as { params: Record<string, unknown> };
    expect(submitted.params).toMatchObject({ epochs: 8, dataset: { testSplit: 'test', testLimit: 500 }, schedule: { milestones: [3, 7] } });
  });

  it('shows a rejected value next to its field', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/new',
      handlers: {
        ...base,
        'train.validateConfig': () => {
          throw new ApiError('invalid_request', 'prune.rate must be in [0, 1)', 'config.prune.rate');
        },
      },
    });
    await flushPromises();
    await mounted.wrapper.get('[data-test="tr-prune"]').setValue('psfp');
    await mounted.wrapper.get('[data-test="tr-rate"]').setValue('1');
    await mounted.wrapper.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#tr-rate-error').text()).toBe('prune.rate must be in [0, 1)');
    expect(mounted.wrapper.get('[data-test="tr-rate"]').attributes('aria-invalid')).toBe('true');
    expect(mounted.wrapper.find('#tr-epochs-error').exists()).toBe(false);
  });
});

describe('training run page', () => {
  const run: TrainingRunDetail = {
    jobId: 30, kind: 'train.run', status: 'running',
    config: { dataset: { id: 3, trainSplit: 'train', testSplit: 'test', validationFraction: 0.1 }, model: { arch: 'resnet20', options: {} }, epochs: 12 } as unknown as TrainingRunDetail['config'],
    lineage: { parentModel: { id: 1, name: 'resnet20 baseline', method: null }, model: null, resumedFromJobId: null },
    result: null, checkpoints: [{ epoch: 1, path: '', createdAt: '' }], pruneRates: [],
  };

  it('the run page asks before cancelling a run that has gone on for minutes, saying it can be resumed', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/30',
      handlers: {
        ...base,
        'jobs.list': () => [job({ id: 30, kind: 'train.run', title: 'Train ResNet-20', startedAt: new Date(Date.now() - 600_000).toISOString() })],
        'train.get': () => run,
        'jobs.metrics': () => [],
        'jobs.cancel': ({ id }) => job({ id, kind: 'train.run', status: 'cancelled' }),
      },
    });
    await flushPromises();
    const header = mounted.wrapper.get('.page-header');
    await header.get('[data-test="job-cancel"]').trigger('click');
    expect(header.get('[data-test="cancel-confirm"]').text()).toMatch(/running for 10m.*can be resumed/);
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([]);
    await header.get('[data-test="cancel-confirm-yes"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([{ id: 30 }]);
  });

  it('shows config, lineage and live charts fed by jobs.metrics and job.metrics events', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/30',
      handlers: {
        ...base,
        'jobs.list': () => [job({ id: 30, kind: 'train.run' })],
        'train.get': () => run,
        'jobs.metrics': () => [{ step: 1, epoch: 1, name: 'loss', value: 2.0 }],
      },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="run-lineage"]').text()).toContain('resnet20 baseline');
    expect(mounted.wrapper.get('[data-test="run-lineage"]').text()).toContain('cifar10');
    expect(mounted.wrapper.get('[data-test="run-config"]').text()).toContain('"arch": "resnet20"');
    expect(mounted.wrapper.get('[data-test="run-progress"]').text()).toContain('epoch 3/12');
    const titles = () => mounted!.wrapper.findAll('[data-test="metrics-charts"] h3').map((h) => h.text());
    expect(titles()).toEqual(['Loss']);
    mounted.api.emit('job.metrics', { id: 30, points: [{ step: 2, epoch: 2, name: 'val_accuracy', value: 0.6 }, { step: 2, epoch: 2, name: 'lr', value: 0.1 }] });
    await flushPromises();
    expect(titles()).toEqual(['Loss', 'Accuracy', 'Learning rate']);
  });
});

describe('training run test results', () => {
  const finished: TrainingRunDetail = {
    jobId: 40, kind: 'train.run', status: 'succeeded',
    config: { dataset: { id: 1, trainSplit: 'train', testSplit: 'test', validationFraction: 0.1 }, model: { arch: 'resnet20', options: {} }, epochs: 2 } as unknown as TrainingRunDetail['config'],
    lineage: { parentModel: null, model: null, resumedFromJobId: null },
    result: null, checkpoints: [], pruneRates: [],
  };
  // 3 classes of the pets fixture (cat, dog, frog); 20 test images.
  const confusion = [
    [6, 2, 0],
    [1, 5, 0],
    [0, 3, 3],
  ];
  const predictions = (req: Req<'train.predictions'>): RunPredictions => {
    const wrong = [
      { sampleId: 9, path: 'frog/img_8.png', trueLabel: 2, predictedLabel: 1, confidence: 0.91 },
      { sampleId: 4, path: 'cat/img_3.png', trueLabel: 0, predictedLabel: 1, confidence: 0.72 },
      { sampleId: 5, path: 'dog/img_4.png', trueLabel: 1, predictedLabel: 0, confidence: 0.55 },
    ].filter((m) => (req.trueLabel === undefined || m.trueLabel === req.trueLabel) && (req.predictedLabel === undefined || m.predictedLabel === req.predictedLabel));
    return {
      jobId: req.jobId, fromJobId: req.jobId, datasetId: 1, evaluatedOn: 'test', part: 'test', classNames: ['cat', 'dog', 'frog'], count: 20, accuracy: 14 / 20, confusion,
      classes: [
        { index: 0, name: 'cat', support: 8, predicted: 7, correct: 6, recall: 0.75, precision: 6 / 7 },
        { index: 1, name: 'dog', support: 6, predicted: 10, correct: 5, recall: 5 / 6, precision: 0.5 },
        { index: 2, name: 'frog', support: 6, predicted: 3, correct: 3, recall: 0.5, precision: 1 },
      ],
      misclassified: { total: wrong.length, offset: req.offset ?? 0, items: wrong.slice(req.offset ?? 0, (req.offset ?? 0) + (req.limit ?? 60)) },
    };
  };
  const handlers = {
    ...base,
    'datasets.list': () => [dataset({ id: 1 })],
    'jobs.list': () => [job({ id: 40, kind: 'train.run', status: 'succeeded', progress: null })],
    'train.get': () => finished,
    'jobs.metrics': () => [],
    'train.predictions': predictions,
    'datasets.get': () => datasetDetail(),
    'datasets.samples': (req: Req<'datasets.samples'>) => {
      const offset = req.offset ?? 0;
      const n = Math.max(0, Math.min(req.limit ?? 200, 500 - offset));
      return { total: 500, offset, items: Array.from({ length: n }, (_, i) => sampleAt(offset + i)) };
    },
    'datasets.sample': ({ id }: { id: number }) => sampleDetail(id),
  };

  it('draws the confusion matrix as a heat table with per-class accuracy, and the misclassified images most confident first; an image opens its sample on the dataset page', async () => {
    mounted = await mountWithApi(App, { path: '/training/40', handlers });
    await flushPromises();
    const w = mounted.wrapper;
    const section = w.get('[data-test="test-results"]');
    expect(section.get('h2').text()).toBe('Test results');
    expect(w.get('[data-test="test-results-summary"]').text()).toContain('20 images of test: 70.00% correct, 6 misclassified');
    const rows = w.findAll('[data-test="confusion"] tbody tr');
    expect(rows.map((r) => r.findAll('td').slice(0, 3).map((c) => Number(c.text())))).toEqual(confusion);
    expect(w.findAll('[data-test="confusion"] thead th').map((h) => h.text()).slice(1, 4)).toEqual(['cat', 'dog', 'frog']);
    // The diagonal is marked, and a cell says on hover which share of its true class it holds.
    expect(w.findAll('td.diagonal').map((c) => c.attributes('data-test'))).toEqual(['cell-0-0', 'cell-1-1', 'cell-2-2']);
    expect(w.get('[data-test="cell-2-1"]').attributes('title')).toBe('frog → dog: 3 (50.0% of frog)');
    expect(w.get('[data-test="cell-0-0"]').attributes('title')).toContain('75.0% of cat');
    // Heat: a fuller cell is more strongly coloured, an empty one not at all.
    const alpha = (sel: string): number => Number(/rgba\([\d, ]+, ([\d.]+)\)/.exec(w.get(sel).attributes('style') ?? '')?.[1] ?? 0);
    expect(alpha('[data-test="cell-0-0"]')).toBeGreaterThan(alpha('[data-test="cell-0-1"]'));
    expect(alpha('[data-test="cell-0-1"]')).toBeGreaterThan(0);
    expect(alpha('[data-test="cell-0-2"]')).toBe(0);
    expect(['0', '1', '2'].map((c) => w.get(`[data-test="class-accuracy-${c}"]`).text())).toEqual(['75.0%', '83.3%', '50.0%']);
    expect(w.get('[data-test="class-precision-1"]').text()).toBe('50.0%');

    const images = w.findAll('[data-test="misclassified"] a');
    expect(images.map((a) => a.attributes('data-test'))).toEqual(['misclassified-9', 'misclassified-4', 'misclassified-5']);
    expect(images[0]!.text()).toContain('frog');
    expect(images[0]!.text()).toContain('→ dog 91%');
    expect(images[0]!.get('img').attributes('src')).toBe('test-sample://9?thumb=96');

    // A cell narrows the images to it.
    await w.get('[data-test="cell-0-1"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('train.predictions').at(-1)).toMatchObject({ jobId: 40, trueLabel: 0, predictedLabel: 1 });
    expect(w.findAll('[data-test="misclassified"] a').map((a) => a.attributes('data-test'))).toEqual(['misclassified-4']);
    await w.get('[data-test="misclassified-all"]').trigger('click');
    await flushPromises();
    expect(w.findAll('[data-test="misclassified"] a')).toHaveLength(3);

    await w.get('[data-test="misclassified-9"]').trigger('click');
    // The datasets page loads lazily.
    await vi.waitFor(async () => {
      await flushPromises();
      expect(w.find('[data-test="fact-File"]').exists()).toBe(true);
    }, { timeout: 10_000, interval: 20 });
    expect(mounted.router.currentRoute.value.fullPath).toBe('/datasets/1?sample=9');
    expect(w.get('[data-test="fact-File"]').text()).toBe('frog/img_8.png');
    expect(w.get('[data-test="detail-position"]').text()).toBe('9 / 500');
  });

  it('pages through many misclassified images', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ sampleId: i + 1, path: sampleAt(i).path, trueLabel: 0, predictedLabel: 1, confidence: 1 - i / 100 }));
    mounted = await mountWithApi(App, {
      path: '/training/40',
      handlers: {
        ...handlers,
        'train.predictions': (req) => {
          const offset = req.offset ?? 0;
          return { ...predictions(req), misclassified: { total: many.length, offset, items: many.slice(offset, offset + (req.limit ?? 60)) } };
        },
      },
    });
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.findAll('[data-test="misclassified"] a')).toHaveLength(48);
    expect(w.get('[data-test="misclassified-more"]').text()).toBe('Show more (2 left)');
    await w.get('[data-test="misclassified-more"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('train.predictions').at(-1)).toMatchObject({ jobId: 40, offset: 48 });
    expect(w.findAll('[data-test="misclassified"] a').map((a) => a.attributes('data-test')).slice(-2)).toEqual(['misclassified-49', 'misclassified-50']);
    expect(w.find('[data-test="misclassified-more"]').exists()).toBe(false);
  });

  it('says why a run has no test results (a run made before they were recorded)', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/40',
      handlers: {
        ...handlers,
        'train.predictions': () => {
          throw new ApiError('not_found', 'jobId: Run #40 has no predictions recorded: runs trained before per-sample predictions were kept have none.', 'jobId');
        },
      },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="test-results-none"]').text()).toBe('Run #40 has no predictions recorded: runs trained before per-sample predictions were kept have none.');
    expect(mounted.wrapper.find('[data-test="confusion"]').exists()).toBe(false);
  });
});
