// @vitest-environment happy-dom
/**
 * The sensitivity tab: a finished scan draws one accuracy-vs-rate line per
 * layer with the unpruned accuracy; "Use as layer rates" opens a new training
 * run that sends the per-layer rates within the allowed drop as prune.layerRates.
 */
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import type { JobDetail, ModelInfo, SensitivityResult } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const result: SensitivityResult = {
  modelId: 4,
  arch: 'resnet20',
  criterion: 'fpgm',
  granularity: 'stage',
  rates: [0.3, 0.6, 0.9],
  baseline: 0.9,
  count: 100,
  groups: [
    { name: 'stage1', convs: ['stage1/block1/conv1', 'stage1/block1/conv2'], accuracy: [0.9, 0.89, 0.6] },
    { name: 'stage2', convs: ['stage2/block1/conv1'], accuracy: [0.8, 0.5, 0.2] },
  ],
};
const scanJob = job({ id: 40, kind: 'prune.sensitivity', title: 'Sensitivity of m per stage (fpgm)', status: 'succeeded', progress: null });
const detail: JobDetail = { ...scanJob, params: {}, result, logs: [] };
const architectures: ModelInfo[] = [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }];

describe('sensitivity scan', () => {
  it('draws accuracy vs rate per layer and turns the scan into layer rates for a new run', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare/sensitivity/40',
      handlers: {
        'jobs.list': () => [scanJob],
        'jobs.get': () => detail,
        'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
        'augment.pipelines.list': () => [],
        'models.architectures': () => architectures,
        'models.list': () => [],
        'train.validateConfig': ({ config }) => ({ ok: true, config: config as never }),
        'jobs.submit': () => job({ id: 41, kind: 'train.run', status: 'queued', progress: null }),
        'train.get': () => {
          throw new ApiError('not_found', 'not started');
        },
        'jobs.metrics': () => [],
      },
    });
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.get('[data-test="sensitivity-summary"]').text()).toContain('unpruned 90.0% on 100 test images');
    const lines = w.findAll('[data-test="sensitivity-chart"] polyline');
    expect(lines.map((l) => l.attributes('data-layer'))).toEqual(['stage1', 'stage2']);
    // Rate 0 (the unpruned accuracy) plus one point per scanned rate; lower accuracy is lower on the chart (larger y).
    const ys = lines[1]!.attributes('points')!.split(' ').map((p) => Number(p.split(',')[1]));
    expect(ys).toHaveLength(4);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(w.find('[data-test="sensitivity-baseline"]').exists()).toBe(true);

    // Within 2 points: stage1 up to 60%, stage2 nowhere.
    await w.get('[data-test="sensitivity-max-drop"]').setValue('2');
    await w.get('[data-test="sensitivity-use"]').trigger('click');
    // The training area's view loads lazily on first visit.
    await vi.waitFor(() => expect(mounted!.router.currentRoute.value.path).toBe('/training/new'), { timeout: 5000 });
    await vi.waitFor(() => expect(w.find('[data-test="tr-prune"]').exists()).toBe(true), { timeout: 5000 });
    await flushPromises();
    expect(w.get('[data-test="layer-rates-from-scan"]').text()).toContain('scan #40: 2 of 3 convs pruned');
    await w.get('[data-test="tr-prune"]').setValue('sfp');
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    const submitted = mounted.api.callsOf('jobs.submit')[0] as { kind: string; params: { prune: Record<string, unknown> } };
    expect(submitted.kind).toBe('train.run');
    expect(submitted.params.prune).toMatchObject({ method: 'sfp', layerRates: { 'stage1/block1/conv1': 0.6, 'stage1/block1/conv2': 0.6, 'stage2/block1/conv1': 0 } });
  });

  it('says a scan that has not finished is not drawn yet', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare/sensitivity/40',
      handlers: { 'jobs.list': () => [{ ...scanJob, status: 'running' as const }], 'jobs.get': () => ({ ...detail, status: 'running' as const, result: null }) },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="sensitivity-status"]').text()).toBe('Scan #40 is running.');
    expect(mounted.wrapper.find('[data-test="sensitivity-chart"]').exists()).toBe(false);
  });
});
