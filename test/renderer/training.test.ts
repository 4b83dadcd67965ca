// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { ModelInfo, TrainingRunDetail } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
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
