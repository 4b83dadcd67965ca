// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import AdaptPage from '../../src-renderer/src/adapt/AdaptPage.vue';
import type { AdaptAttentionImage, AdaptAttentionResult, AdaptRunSummary } from '../../src-main/common/contract/index.ts';
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
  { jobId: 12, title: 'DANN', status: 'succeeded', method: 'dann', arch: 'resnet20', sourceDatasetId: 1, targetDatasetId: 2, history: epochs([0.2, 0.31]), sourceAccuracy: 0.8, targetAccuracy: 0.31, chance: 0.1 },
  { jobId: 11, title: 'Source only', status: 'succeeded', method: 'source-only', arch: 'resnet20', sourceDatasetId: 1, targetDatasetId: 2, history: epochs([0.12, 0.115]), sourceAccuracy: 0.82, targetAccuracy: 0.115, chance: 0.1 },
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

  it('picks two domains of an Office-31 style import as source and target; a set without domains offers none; submits them', async () => {
    const office = dataset({ id: 7, name: 'office31', format: 'domains', counts: { ...dataset().counts, classes: 31, splits: { none: 4110 }, domains: { amazon: 2817, dslr: 498, webcam: 795 } } });
    mounted = await mountWithApi(AdaptPage, {
      handlers: {
        'adapt.runs': () => [],
        'datasets.list': () => [office, dataset({ id: 8, name: 'Fashion-MNIST' })],
        'jobs.submit': ({ kind }) => job({ id: 41, kind, status: 'queued', progress: null }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="start-adapt-train"]').trigger('click');
    await flushPromises();
    const form = () => w.get('[data-test="job-form-adapt.train"]');
    const options = (id: string) => form().findAll(`#adapt-train-${id} option`).map((o) => o.text());
    await form().get('#adapt-train-sourceDatasetId').setValue('7');
    await form().get('#adapt-train-targetDatasetId').setValue('8');
    await flushPromises();
    expect(options('sourceDomain')).toEqual(['Whole dataset (its splits)', 'amazon (2817 images)', 'dslr (498 images)', 'webcam (795 images)']);
    expect(options('targetDomain')).toEqual(['No domains (not imported as domain folders)']);
    await form().get('#adapt-train-sourceDomain').setValue('amazon');
    await form().get('#adapt-train-targetDatasetId').setValue('7');
    await flushPromises();
    await form().get('#adapt-train-targetDomain').setValue('webcam');
    await form().get('#adapt-train-method').setValue('dann');
    await form().trigger('submit');
    await flushPromises();
    const submitted = mounted.api.callsOf('jobs.submit').at(-1) as { kind: string; params: Record<string, unknown> };
    expect(submitted).toMatchObject({ kind: 'adapt.train', params: { method: 'dann', sourceDatasetId: 7, targetDatasetId: 7, sourceDomain: 'amazon', targetDomain: 'webcam' } });
  });

  it('shows a run\'s attention maps beside source-only per domain row, and computes them in a job when there are none yet', async () => {
    const view = (tag: string, predicted: number, distance?: number[]) => ({ maps: [0, 1, 2].map((s) => `/ws/att/${tag}-stage${s}.png`), predicted, ...(distance ? { distance } : {}) });
    const item = (domain: string, i: number, label: number): AdaptAttentionImage => ({
      sampleId: 100 + i,
      label,
      image: `/ws/att/${domain}-${i}.png`,
      sourceOnly: view(`${domain}-${i}-sourceOnly`, 0, domain === 'translated' ? [0.4, 0.6, 0.8] : undefined),
      adapted: view(`${domain}-${i}-adapted`, label, domain === 'translated' ? [0.1, 0.2, 0.3] : undefined),
    });
    const result: AdaptAttentionResult & { attentionJobId: number } = {
      attentionJobId: 30,
      jobId: 12,
      compareJobId: 11,
      method: 'dann',
      stages: [{ name: 'stage1/out', height: 16, width: 16 }, { name: 'stage2/out', height: 8, width: 8 }, { name: 'stage3/out', height: 4, width: 4 }],
      classNames: ['shirt', 'shoe', 'bag'],
      rows: (['source', 'translated', 'target'] as const).map((domain) => ({ domain, datasetId: 1, items: [item(domain, 0, 1), item(domain, 1, 2)] })),
    };
    let stored: typeof result | null = null;
    mounted = await mountWithApi(AdaptPage, {
      handlers: {
        'adapt.runs': () => runs,
        'datasets.list': () => [],
        'adapt.attentionMaps': () => stored,
        'adapt.attention': () => job({ id: 30, kind: 'adapt.attention', status: 'queued', progress: null }),
      },
    });
    const w = mounted.wrapper;
    // Source-only runs have nothing to compare with; the DANN run offers its maps.
    expect(w.find('[data-test="attention-11"]').exists()).toBe(false);
    await w.get('[data-test="attention-12"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('adapt.attentionMaps')).toEqual([{ jobId: 12 }]);
    expect(w.get('[data-test="adapt-attention"]').text()).toContain('No attention maps of run #12 yet');
    await w.get('[data-test="compute-attention"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('adapt.attention')).toEqual([{ jobId: 12 }]);
    expect(w.get('[data-test="compute-attention"]').attributes('disabled')).toBeDefined();
    // Another job ending does not reload; this one does.
    stored = result;
    mounted.api.emit('job.updated', job({ id: 29, kind: 'adapt.attention', status: 'succeeded', progress: null }));
    await flushPromises();
    expect(mounted.api.callsOf('adapt.attentionMaps')).toHaveLength(1);
    mounted.api.emit('job.updated', job({ id: 30, kind: 'adapt.attention', status: 'succeeded', progress: null }));
    await flushPromises();
    expect(mounted.api.callsOf('adapt.attentionMaps')).toHaveLength(2);

    expect(w.findAll('[data-test^="attention-row-"]').map((r) => r.attributes('data-test'))).toEqual(['attention-row-source', 'attention-row-translated', 'attention-row-target']);
    const cell = w.get('[data-test="attention-translated-1"]');
    const srcs = cell.findAll('img').map((i) => decodeURIComponent(i.attributes('src')!.replace('test-file://', '')));
    // The image, then source-only's three stages, then the adapted model's: side by side.
    expect(srcs).toEqual(['/ws/att/translated-1.png', ...[0, 1, 2].map((s) => `/ws/att/translated-1-sourceOnly-stage${s}.png`), ...[0, 1, 2].map((s) => `/ws/att/translated-1-adapted-stage${s}.png`)]);
    expect(cell.text()).toContain('bag');
    expect(cell.get('[data-test="predicted-sourceOnly"]').text()).toBe('says shirt');
    expect(cell.get('[data-test="predicted-adapted"]').text()).toBe('says bag');
    expect(cell.get('[data-test="distance-sourceOnly"]').text()).toBe('to source 0.600');
    expect(cell.get('[data-test="distance-adapted"]').text()).toBe('to source 0.200');
    expect(w.get('[data-test="attention-source-0"]').find('[data-test="distance-adapted"]').exists()).toBe(false);
    expect(w.get('[data-test="adapt-attention"]').text()).toMatch(/16×16, 8×8, 4×4.*source-only run #11 beside dann run #12/s);
  });
});
