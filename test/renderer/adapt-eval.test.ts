// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import AdaptPage from '../../src-renderer/src/adapt/AdaptPage.vue';
import { embeddingData, embeddingOptions } from '../../src-renderer/src/adapt/embedding-chart.ts';
import type { AdaptEvalPoint, AdaptEvalResult, AdaptRunSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const summary = (jobId: number, method: AdaptRunSummary['method'], target: number, source: number, targetDatasetId = 2, status: AdaptRunSummary['status'] = 'succeeded', arch = 'resnet20'): AdaptRunSummary => ({
  jobId, title: method, status, method, arch, sourceDatasetId: 1, targetDatasetId, history: [], sourceAccuracy: source, targetAccuracy: target, chance: 0.1,
});
const runs: AdaptRunSummary[] = [
  // The newest source-only run on task 1 -> 2 trained another backbone: neither the floor nor the "before" of the resnet20 runs.
  summary(16, 'source-only', 0.6, 0.9, 2, 'succeeded', 'resnet56'),
  summary(15, 'dann', 0.9, 0.9, 3, 'running'),
  summary(14, 'source-only', 0.2, 0.95, 3),
  summary(13, 'dann', 0.35, 0.8),
  summary(12, 'dann', 0.31, 0.84),
  summary(11, 'source-only', 0.115, 0.82),
];
const datasets = () => [dataset({ id: 1, name: 'Fashion-MNIST' }), dataset({ id: 2, name: 'Fashion-MNIST-M' }), dataset({ id: 3, name: 'Other-M' })];

const points = (n: number): AdaptEvalPoint[] =>
  (['source', 'target'] as const).flatMap((domain, d) => Array.from({ length: n }, (_, i) => ({ domain, sampleId: 100 * d + i, label: i % 3, predicted: (i + d) % 3, x: i - d, y: d * i })));
const evaluation = (evalJobId: number, jobId: number, method: AdaptEvalResult['method'], accuracy: number): AdaptEvalResult & { evalJobId: number } => ({
  evalJobId, jobId, modelId: jobId + 100, method, modelName: `m${jobId}`, arch: 'resnet20', sourceDatasetId: 1, targetDatasetId: 2, sourceSplit: 'test', targetSplit: 'test',
  classNames: ['shirt', 'shoe', 'bag'], chance: 1 / 3,
  source: { count: 30, accuracy: 0.9 },
  target: { count: 9, accuracy, perClass: [{ accuracy: 1, support: 3 }, { accuracy: 2 / 3, support: 3 }, { accuracy: 0, support: 3 }], confusion: [[3, 0, 0], [1, 2, 0], [0, 3, 0]] },
  embedding: { explained: [0.5, 0.2], points: points(4) },
});

describe('the Domain adaptation page: results, target evaluation and embedding', () => {
  it('tabulates method x task over finished runs (means over repeats) with source-only and chance beside, and the paper\'s Office-31 numbers marked as the paper\'s', async () => {
    mounted = await mountWithApi(AdaptPage, { handlers: { 'adapt.runs': () => runs, 'datasets.list': datasets } });
    const w = mounted.wrapper;
    const rows = w.findAll('[data-test^="result-"]').map((r) => r.attributes('data-test'));
    // The running DANN on 1 -> 3 is left out; tasks (and backbones) in the order first seen, methods source-only first.
    expect(rows).toEqual(['result-1-2-resnet56-source-only', 'result-1-3-resnet20-source-only', 'result-1-2-resnet20-source-only', 'result-1-2-resnet20-dann']);
    // DANN's floor is the resnet20 source-only run's 11.5%, not a mean with the resnet56 one's 60%.
    const dann = w.get('[data-test="result-1-2-resnet20-dann"]').text();
    expect(dann).toMatch(/Fashion-MNIST → Fashion-MNIST-M\s*resnet20\s*dann\s*2\s*33\.0%\s*82\.0%\s*11\.5%\s*\+21\.5 pts\s*10\.0%/);
    // The runs table's gain is over the same backbone's source-only too: 31.0 - 11.5.
    expect(w.get('[data-test="adapt-run-12"] [data-test="gain"]').text()).toBe('+19.5 pts');
    expect(w.get('[data-test="result-1-3-resnet20-source-only"]').text()).toMatch(/Other-M.*20\.0%.*95\.0%.*20\.0%\s*—/);
    const paper = w.get('[data-test="adapt-paper"]').text();
    expect(paper).toContain("the paper's Office-31 numbers (DAAA, reported by the paper, not measured here)");
    expect(paper).toMatch(/A → W\s*86\.8%/);
    expect(paper).toMatch(/Average\s*87\.2%/);
  });

  it('evaluates a run and its source-only "before" in adapt.eval jobs, then shows per-class accuracy, the confusion and the two embeddings side by side', async () => {
    let stored: (AdaptEvalResult & { evalJobId: number })[] = [];
    let nextJob = 40;
    mounted = await mountWithApi(AdaptPage, {
      handlers: {
        'adapt.runs': () => runs,
        'datasets.list': datasets,
        'adapt.evaluations': () => stored,
        'adapt.eval': () => job({ id: nextJob++, kind: 'adapt.eval', status: 'queued', progress: null }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="evaluation-12"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="adapt-eval-missing"]').text()).toContain('Runs #12 and #11 (source-only, the "before") are not evaluated yet.');
    await w.get('[data-test="compute-eval"]').trigger('click');
    await flushPromises();
    // The run, then the newest finished source-only run on the same task and backbone (11: not 14 on another target, not 16 of another backbone).
    expect(mounted.api.callsOf('adapt.eval')).toEqual([{ jobId: 12 }, { jobId: 11 }]);
    expect(w.get('[data-test="compute-eval"]').text()).toBe('Evaluating (job 40, 41)…');
    stored = [evaluation(40, 12, 'dann', 5 / 9)];
    mounted.api.emit('job.updated', job({ id: 40, kind: 'adapt.eval', status: 'succeeded', progress: null }));
    await flushPromises();
    expect(w.get('[data-test="adapt-eval-missing"]').text()).toContain('Run #11 is not evaluated yet.');
    expect(w.find('[data-test="adapt-embedding-before"]').exists()).toBe(false);
    stored = [evaluation(41, 11, 'source-only', 3 / 9), ...stored];
    mounted.api.emit('job.updated', job({ id: 41, kind: 'adapt.eval', status: 'succeeded', progress: null }));
    await flushPromises();
    expect(w.find('[data-test="adapt-eval-missing"]').exists()).toBe(false);
    const confusion = w.get('[data-test="adapt-confusion"]');
    expect(confusion.text()).toContain('On 9 target images (test): 55.6% correct');
    expect(w.get('[data-test="adapt-confusion-row-1"]').findAll('td').map((c) => c.text())).toEqual(['1', '2', '0', '66.7%', '3']);
    expect(w.get('[data-test="adapt-class-accuracy-2"]').text()).toBe('0.0%');
    expect(w.get('[data-test="adapt-embedding-before"]').text()).toContain('Before: source-only run #11 (target 33.3%)');
    expect(w.get('[data-test="adapt-embedding-after"]').text()).toContain('After: dann run #12 (target 55.6%)');
    expect(w.get('[data-test="adapt-embedding-after"] canvas').attributes('aria-label')).toContain('4 source and 4 target images');
    expect(w.get('[data-test="adapt-embedding-legend"]').text()).toContain('circle = shirt, triangle = shoe, rect = bag');
  });

  it('the evaluation form offers finished runs (or a classifier with both datasets) and sends only the chosen one', async () => {
    mounted = await mountWithApi(AdaptPage, {
      handlers: {
        'adapt.runs': () => runs,
        'datasets.list': datasets,
        'models.list': () => [{ id: 7, name: 'fashion classifier', arch: 'resnet20', method: null, rate: null, parentModelId: null, datasetId: 1, jobId: 3, dir: '', metrics: {}, createdAt: '' }],
        'jobs.submit': ({ kind }) => job({ id: 60, kind, status: 'queued', progress: null }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="start-adapt-eval"]').trigger('click');
    await flushPromises();
    const form = () => w.get('[data-test="job-form-adapt.eval"]');
    // Finished runs only (the running #15 is not offered), newest first.
    expect(form().findAll('#adapt-eval-run option').map((o) => o.attributes('value'))).toEqual(['16', '14', '13', '12', '11']);
    expect(form().find('#adapt-eval-model').exists()).toBe(false);
    await form().get('#adapt-eval-run').setValue('12');
    await form().get('#adapt-eval-embed').setValue('50');
    await form().trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.submit').at(-1)).toMatchObject({ kind: 'adapt.eval', params: { jobId: 12, sourceSplit: 'test', targetSplit: 'test', embedCount: 50, seed: 1 } });
    expect((mounted.api.callsOf('jobs.submit').at(-1) as { params: Record<string, unknown> }).params).not.toHaveProperty('modelId');

    await w.get('[data-test="start-adapt-eval"]').trigger('click');
    await flushPromises();
    await form().get('input[value="model"]').setValue(true);
    await flushPromises();
    expect(form().find('#adapt-eval-run').exists()).toBe(false);
    // A classifier names no datasets: both are required as every required field is (no "the run's" choice, no "(optional)", Start waits for them).
    const options = (id: string) => form().findAll(`#adapt-eval-${id} option`).map((o) => o.text());
    expect(options('source')).not.toContain("The run's source");
    expect(options('target')).not.toContain("The run's target");
    expect(form().get('label[for="adapt-eval-source"]').text()).toBe('Source dataset');
    await form().get('#adapt-eval-source').setValue('1');
    await form().get('#adapt-eval-target').setValue(null);
    await flushPromises();
    expect(form().get('[data-test="adapt-eval-submit"]').attributes('disabled')).toBeDefined();
    await form().get('#adapt-eval-model').setValue('7');
    await form().get('#adapt-eval-source').setValue('1');
    await flushPromises();
    await form().get('#adapt-eval-target').setValue('2');
    await flushPromises();
    expect(form().get('[data-test="adapt-eval-submit"]').attributes('disabled')).toBeUndefined();
    await form().get('#adapt-eval-target-split').setValue('train');
    await form().trigger('submit');
    await flushPromises();
    const sent = (mounted.api.callsOf('jobs.submit').at(-1) as { params: Record<string, unknown> }).params;
    expect(sent).toMatchObject({ modelId: 7, sourceDatasetId: 1, targetDatasetId: 2, targetSplit: 'train' });
    expect(sent).not.toHaveProperty('jobId');
  });

  it('an embedding size over the schema maximum is named on its field and nothing is sent', async () => {
    mounted = await mountWithApi(AdaptPage, { handlers: { 'adapt.runs': () => runs, 'datasets.list': datasets, 'jobs.submit': ({ kind }) => job({ id: 61, kind, status: 'queued', progress: null }) } });
    const w = mounted.wrapper;
    await w.get('[data-test="start-adapt-eval"]').trigger('click');
    await flushPromises();
    await w.get('#adapt-eval-embed').setValue('5000');
    expect(w.get('#adapt-eval-embed-error').text()).toMatch(/^Images per domain in the embedding must be at most 2000/);
    await w.get('[data-test="job-form-adapt.eval"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.submit')).toEqual([]);
  });

  it('a source-only run shows its own evaluation without a "before"', async () => {
    mounted = await mountWithApi(AdaptPage, { handlers: { 'adapt.runs': () => runs, 'datasets.list': datasets, 'adapt.evaluations': () => [evaluation(41, 11, 'source-only', 3 / 9)] } });
    await mounted.wrapper.get('[data-test="evaluation-11"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="adapt-eval-missing"]').exists()).toBe(false);
    expect(mounted.wrapper.findAll('[data-test^="adapt-embedding-"]').map((f) => f.attributes('data-test'))).toEqual(['adapt-embedding-legend', 'adapt-embedding-after']);
  });

  it('the embedding chart colours the domains apart, marks each point\'s class and names class and prediction in the tooltip', () => {
    const r = evaluation(40, 12, 'dann', 0.5);
    const data = embeddingData(r);
    expect(data.datasets.map((d) => d.label)).toEqual(['Source', 'Target']);
    expect(data.datasets[0]!.borderColor).not.toBe(data.datasets[1]!.borderColor);
    expect(data.datasets[1]!.data).toEqual([{ x: -1, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 3 }]);
    expect(data.datasets[1]!.pointStyle).toEqual(['circle', 'triangle', 'rect', 'circle']);
    const label = embeddingOptions(r).plugins!.tooltip!.callbacks!.label as (item: { datasetIndex: number; dataIndex: number }) => string;
    expect(label({ datasetIndex: 1, dataIndex: 1 })).toBe('target: shoe (predicted bag)');
    expect(embeddingOptions(r).scales!.x!.title).toMatchObject({ text: 'PC 1 (50% of variance)' });
  });
});
