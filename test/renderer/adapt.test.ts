// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import AdaptPage from '../../src-renderer/src/adapt/AdaptPage.vue';
import type { AdaptRunSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const epochs = (target: number[]) => target.map((t, i) => ({ epoch: i + 1, losses: { classification: 1 / (i + 1) }, sourceAccuracy: 0.8, targetAccuracy: t }));
const runs: AdaptRunSummary[] = [
  { jobId: 12, title: 'DANN', status: 'succeeded', method: 'dann', sourceDatasetId: 1, targetDatasetId: 2, history: epochs([0.2, 0.31]), sourceAccuracy: 0.8, targetAccuracy: 0.31, chance: 0.1 },
  { jobId: 11, title: 'Source only', status: 'succeeded', method: 'source-only', sourceDatasetId: 1, targetDatasetId: 2, history: epochs([0.12, 0.115]), sourceAccuracy: 0.82, targetAccuracy: 0.115, chance: 0.1 },
];

describe('the Domain adaptation page', () => {
  it('lists runs with source and target accuracy, the gain over source-only on the same domains, and refreshes when a run ends', async () => {
    let list = runs.slice(1);
    mounted = await mountWithApi(AdaptPage, {
      handlers: { 'adapt.runs': () => list, 'datasets.list': () => [dataset({ id: 1, name: 'Fashion-MNIST' }), dataset({ id: 2, name: 'Fashion-MNIST-M' })] },
    });
    const w = mounted.wrapper;
    expect(w.get('[data-test="adapt-run-11"]').text()).toContain('Fashion-MNIST → Fashion-MNIST-M');
    list = runs;
    mounted.api.emit('job.updated', job({ id: 12, kind: 'adapt.train', status: 'succeeded', progress: null }));
    await flushPromises();
    const dann = w.get('[data-test="adapt-run-12"]');
    expect(dann.text()).toMatch(/dann.*80\.0%.*31\.0%.*\+19\.5 pts.*10\.0%/);
    expect(w.get('[data-test="adapt-run-11"] [data-test="gain"]').text()).toBe('—');
  });

  it('opens the schema-driven forms for a target domain and an adaptation run', async () => {
    mounted = await mountWithApi(AdaptPage, { handlers: { 'adapt.runs': () => [], 'datasets.list': () => [] } });
    expect(mounted.wrapper.text()).toContain('No adaptation runs yet');
    await mounted.wrapper.get('[data-test="start-adapt-train"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.text()).toContain('Adapt a classifier to a target domain');
  });
});
