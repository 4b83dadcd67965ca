// @vitest-environment happy-dom
/** A button or form that queued a job shows that job and waits while it runs: a second click queues nothing. */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import App from '../../src-renderer/src/App.vue';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import { latencyForm } from '../../src-renderer/src/job-forms/models.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { jobKinds, type ComparedModel, type JobSummary, type ModelSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const model = (id: number, method: string | null): ModelSummary => ({
  id, name: `m${id}`, arch: 'resnet20', method, rate: null, parentModelId: null, datasetId: 3, jobId: null, dir: '', metrics: {}, createdAt: '',
});
const compared = (id: number): ComparedModel => ({
  id, name: `m${id}`, arch: 'resnet20', method: id === 1 ? null : 'sfp', rate: null, accuracy: 0.9, accuracyBnRecalibrated: null, flops: 1e6, paperFlops: null, flopsReduction: 0, paperFlopsReduction: null,
  params: 1000, zeroFilters: id === 1 ? 0 : 4, compactSpeedup: null, sizeBytes: 1000, datasetId: 3, jobId: null, parentModelId: null, createdAt: '', latency: null,
});

describe('no duplicate jobs by accident', () => {
  it.each([
    { button: 'compact-2', call: 'jobs.submit' as const, kind: jobKinds.modelsCompact },
    { button: 'measure-2', call: 'models.latency' as const, kind: jobKinds.modelsLatency },
    { button: 'export-onnx-2', call: 'models.export' as const, kind: jobKinds.modelsExport },
  ])('Compare: $button shows its queued job with a link, is disabled while it runs, and a double click queues one job', async ({ button, call, kind }) => {
    const queued = (id: number): JobSummary => job({ id, kind, title: `${kind} model 2`, status: 'queued', progress: null });
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => [model(1, null), model(2, 'sfp')],
        'models.compare': ({ ids }) => ({ models: ids.map(compared), scatter: { accuracyVsFlops: [], accuracyVsLatency: [] }, layers: [], lineage: {} }),
        'jobs.submit': () => queued(78),
        'models.latency': () => queued(78),
        'models.export': () => queued(78),
      },
    });
    await mounted.wrapper.get('[data-test="pick-1"]').setValue(true);
    await mounted.wrapper.get('[data-test="pick-2"]').setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    const target = mounted.wrapper.get(`[data-test="${button}"]`);
    await target.trigger('click');
    await target.trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf(call)).toHaveLength(1);
    expect(mounted.wrapper.get(`[data-test="${button}"]`).attributes('disabled')).toBeDefined();
    const link = mounted.wrapper.get(`[data-test="${button}-job"]`);
    expect(link.text()).toBe('#78 queued');
    expect(link.attributes('href')).toBe('/runs/78');

    mounted.api.emit('job.updated', { ...queued(78), status: 'running' });
    await flushPromises();
    expect(mounted.wrapper.get(`[data-test="${button}-job"]`).text()).toBe('#78 running');
    await mounted.wrapper.get(`[data-test="${button}"]`).trigger('click');
    expect(mounted.api.callsOf(call)).toHaveLength(1);

    // Once the job ends the button may queue another (a failed export can be tried again).
    mounted.api.emit('job.updated', { ...queued(78), status: 'failed', error: 'boom' });
    await flushPromises();
    expect(mounted.wrapper.find(`[data-test="${button}-job"]`).exists()).toBe(false);
    expect(mounted.wrapper.get(`[data-test="${button}"]`).attributes('disabled')).toBeUndefined();
  });

  it('a job form: Start right after submit shows the job and stays disabled while it runs with the same values', async () => {
    const Host = defineComponent({
      setup() {
        void useJobsStore().start();
        const def = latencyForm();
        return () => h(FormJob, { def, preset: { modelId: 1 } });
      },
    });
    mounted = await mountWithApi(Host, { handlers: { 'models.list': () => [model(1, null)], 'models.latency': () => job({ id: 55, kind: jobKinds.modelsLatency, status: 'queued', progress: null }) } });
    const form = mounted.wrapper.get('[data-test="job-form-models.latency"]');
    await form.trigger('submit');
    await form.trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('models.latency')).toHaveLength(1);
    expect(mounted.wrapper.get('[data-test="latency-submit"]').attributes('disabled')).toBeDefined();
    const status = mounted.wrapper.get('[data-test="latency-queued"]');
    expect(status.text()).toContain('job #55 is queued');
    expect(status.get('a').attributes('href')).toBe('/runs/55');
    await form.trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('models.latency')).toHaveLength(1);

    mounted.api.emit('job.updated', job({ id: 55, kind: jobKinds.modelsLatency, status: 'succeeded', progress: null }));
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="latency-queued"]').exists()).toBe(false);
    expect(mounted.wrapper.get('[data-test="latency-submit"]').attributes('disabled')).toBeUndefined();
  });
});
