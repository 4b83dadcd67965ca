// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import type { ApiErrorBody, ModelInfo } from '../../src-main/common/contract/index.ts';
import { installApi, toApiError } from '../../src-renderer/src/api/index.ts';
import { createElectronApi } from '../../src-renderer/src/api/electron-client.ts';
import type { WorkbenchBridge } from '../../src-renderer/src/api/workbench-bridge.d.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const architectures: ModelInfo[] = [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }];
const workspace = {
  'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
  'augment.pipelines.list': () => [],
  'models.architectures': () => architectures,
  'models.list': () => [],
  'train.validateConfig': ({ config }: { config: unknown }) => ({ ok: true as const, config: config as never }),
  'jobs.submit': () => job({ id: 30, kind: 'train', status: 'queued', progress: null }),
};

/**
 * The Electron client over a preload bridge that answers from the test's
 * workspace, except for the calls given an error envelope: the whole way an
 * error takes from the host to the form.
 */
function electronHost(m: Mounted, rejects: Record<string, ApiErrorBody | undefined>): void {
  const bridge: WorkbenchBridge = {
    call: async (name, request) => {
      const error = rejects[name];
      if (error) return { ok: false, error };
      try {
        return { ok: true, result: await m.api.call(name as never, request as never) };
      } catch (e) {
        return { ok: false, error: toApiError(e).toBody() };
      }
    },
    on: (event, listener) => m.api.on(event as never, listener),
    fileUrl: (path) => path,
  };
  installApi(createElectronApi(bridge));
}

describe('job form errors', () => {
  it('marks a value the schema refuses on its field in words, sends nothing, and clears the mark once fixed', async () => {
    mounted = await mountWithApi(App, { path: '/training/new', handlers: workspace });
    const w = mounted.wrapper;
    await w.get('[data-test="tr-lr"]').setValue('0');
    expect(w.get('#tr-lr-error').text()).toBe('Learning rate must be above 0');
    await w.get('[data-test="tr-epochs"]').setValue('2.5');
    expect(w.get('#tr-epochs-error').text()).toBe('Epochs must be a whole number');
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('train.validateConfig')).toEqual([]);
    await w.get('[data-test="tr-lr"]').setValue('0.05');
    await w.get('[data-test="tr-epochs"]').setValue('2');
    expect(w.find('#tr-lr-error').exists()).toBe(false);
    expect(w.find('#tr-epochs-error').exists()).toBe(false);
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.submit')).toHaveLength(1);
  });

  it('shows a server error with a field on that field, one without a field in the banner, and clears each when its cause is edited', async () => {
    mounted = await mountWithApi(App, { path: '/training/new', handlers: workspace });
    const rejects: Record<string, ApiErrorBody | undefined> = { 'train.validateConfig': { code: 'invalid_request', message: 'Batch size 512 does not fit in memory here', field: 'config.batchSize' } };
    electronHost(mounted, rejects);
    const w = mounted.wrapper;
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('#tr-batch-error').text()).toBe('Batch size 512 does not fit in memory here');
    expect(w.get('[data-test="tr-batch"]').attributes('aria-invalid')).toBe('true');
    // Another field's edit leaves it; its own clears it.
    await w.get('[data-test="tr-seed"]').setValue('3');
    expect(w.find('#tr-batch-error').exists()).toBe(true);
    await w.get('[data-test="tr-batch"]').setValue('64');
    expect(w.find('#tr-batch-error').exists()).toBe(false);

    rejects['train.validateConfig'] = { code: 'failed', message: 'The workspace database is read-only' };
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('[data-test="train-form"] .error-banner').text()).toBe('The workspace database is read-only');
    expect(w.findAll('[data-test="train-form"] .field-error')).toHaveLength(0);
    await w.get('[data-test="tr-seed"]').setValue('4');
    expect(w.find('[data-test="train-form"] .error-banner').exists()).toBe(false);

    rejects['train.validateConfig'] = undefined;
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.router.currentRoute.value.path).toBe('/training/30');
  });

  it('keeps a PSFP-only field out of the request while SFP is chosen, and the pruning block out without a method', async () => {
    mounted = await mountWithApi(App, { path: '/training/new', handlers: workspace });
    const w = mounted.wrapper;
    expect(w.find('[data-test="tr-rate"]').exists()).toBe(false);
    await w.get('[data-test="tr-prune"]').setValue('psfp');
    expect(w.find('[data-test="tr-d"]').exists()).toBe(true);
    await w.get('[data-test="tr-prune"]').setValue('sfp');
    expect(w.find('[data-test="tr-d"]').exists()).toBe(false);
    await w.get('[data-test="tr-schedule"]').setValue('cosine');
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    const params = (mounted.api.callsOf('jobs.submit')[0] as { params: Record<string, unknown> }).params;
    // The criterion and soft-mask variants go with their defaults: the papers' mask.
    expect(params.prune).toEqual({ method: 'sfp', rate: 0.3, interval: 1, criterion: 'l2', zeroBn: false, noRegrowth: false, reestimateBn: false });
    expect(params.schedule).toEqual({ kind: 'cosine', minLr: 0 });
    expect(params).not.toHaveProperty('warmup');
    expect(params).not.toHaveProperty('augment');
  });
});
