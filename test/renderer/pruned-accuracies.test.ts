// @vitest-environment happy-dom
/**
 * A soft-pruned run records two accuracies (`accuracy` after the last mask, `accuracyBnRecalibrated`
 * after re-estimating BatchNorm): its page says what each one measures, and Compare says which it
 * plots and switches between them.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import UiChart from '../../src-renderer/src/ui/UiChart.vue';
import type { ComparedModel, ModelComparison, ModelSummary, TrainConfig, TrainingRunDetail, TrainMetrics } from '../../src-main/common/contract/index.ts';
import { trainConfigSchema } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const metrics = (accuracy: number, accuracyBnRecalibrated: number | null): TrainMetrics => ({
  accuracy, valAccuracy: 0.8, valLoss: 0.5, testAccuracy: accuracy, testLoss: 0.5, accuracyBnRecalibrated, trainLoss: 0.4, trainAccuracy: 0.85,
  imagesPerSecond: 100, seconds: 60, params: 270_000, macs: 41_000_000, flopsReductionPaper: accuracyBnRecalibrated === null ? null : 0.42,
});
/** A config as the server stores it: the schema's output, defaults filled in. */
const config = (prune: Record<string, unknown> | undefined): TrainConfig =>
  trainConfigSchema.parse({ dataset: { id: 3 }, model: { arch: 'resnet20' }, epochs: 2, ...(prune ? { prune } : {}) });
const runOf = (jobId: number, c: TrainConfig, m: TrainMetrics): TrainingRunDetail => ({
  jobId, kind: 'train.run', status: 'succeeded', config: c,
  lineage: { parentModel: null, model: { id: 5, name: 'sfp-30' }, resumedFromJobId: null },
  result: { epochs: 2, metrics: m, model: { dir: '', name: 'sfp-30', arch: 'resnet20', method: 'sfp', rate: 0.3, parentModelId: null, datasetId: 3 }, pruneRates: [] },
  checkpoints: [], pruneRates: [],
});

async function openRun(run: TrainingRunDetail): Promise<Mounted> {
  return mountWithApi(App, {
    path: `/training/${run.jobId}`,
    handlers: {
      'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
      'models.list': () => [],
      'jobs.list': () => [job({ id: run.jobId, kind: 'train.run', status: 'succeeded' })],
      'train.get': () => run,
      'jobs.metrics': () => [],
      'jobs.files': () => [],
    },
  });
}

describe('a soft-pruned run explains its two accuracies on its page', () => {
  it('names both as the result records them, says what each measures and the gap between them', async () => {
    mounted = await openRun(runOf(50, config({ method: 'sfp', rate: 0.3, bnRecalibrationBatches: 6 }), metrics(0.556, 0.84)));
    await flushPromises();
    const section = mounted.wrapper.get('[data-test="run-accuracies"]');
    expect(section.text()).toMatch(/SFP, rate 0\.3\), both on the test split/);
    const masked = section.get('[data-test="run-accuracy-masked"]').text();
    expect(masked).toContain('accuracy');
    expect(masked).toContain('55.6');
    expect(masked).toMatch(/compact model .* same outputs/);
    const bn = section.get('[data-test="run-accuracy-bn"]').text();
    expect(bn).toContain('accuracyBnRecalibrated');
    expect(bn).toContain('84.0');
    expect(bn).toMatch(/on 6 training batches/);
    expect(bn).toMatch(/regrow between masks/);
    expect(bn).toContain('+28.40 points');
    // The headline cards say which accuracy is which, too.
    expect(mounted.wrapper.get('[data-test="run-result"]').text()).toMatch(/Accuracy, after the last mask.*Accuracy, BN re-estimated/);
  });

  it('a run that skipped the re-estimation says so; one that kept re-estimated statistics says the saved model has them', async () => {
    mounted = await openRun(runOf(51, config({ method: 'psfp', rate: 0.4, bnRecalibrationBatches: 0 }), metrics(0.7, null)));
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="run-accuracy-bn"]').text()).toContain('Not measured: prune.bnRecalibrationBatches was 0.');
    mounted.wrapper.unmount();
    mounted = await openRun(runOf(52, config({ method: 'sfp', rate: 0.3, reestimateBn: true, noRegrowth: true }), metrics(0.86, 0.861)));
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="run-accuracy-masked"]').text()).toContain('re-estimated after each mask: prune.reestimateBn');
    expect(mounted.wrapper.get('[data-test="run-accuracy-bn"]').text()).not.toMatch(/regrow/);
  });

  it('an unpruned run has one accuracy and no such section', async () => {
    mounted = await openRun(runOf(53, config(undefined), metrics(0.9, null)));
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="run-accuracies"]').exists()).toBe(false);
    expect(mounted.wrapper.get('[data-test="run-result"]').text()).toMatch(/^Accuracy90\.00%/);
  });
});

const summary = (id: number, name: string): ModelSummary => ({ id, name, arch: 'resnet20', method: null, rate: null, parentModelId: null, datasetId: 3, jobId: null, dir: '', metrics: {}, createdAt: '' });
const compared = (id: number, name: string, method: string | null, accuracy: number, accuracyBnRecalibrated: number | null, zeroFilters: number): ComparedModel => ({
  id, name, arch: 'resnet20', method, rate: method ? 0.3 : null, accuracy, accuracyBnRecalibrated, flops: 40e6 - id * 5e6, paperFlops: null, flopsReduction: 0, paperFlopsReduction: null,
  params: 270_000, zeroFilters, latency: null, compactSpeedup: method === 'compact' ? { speedup: 1.2, batch: 64, latencyMs: 10, parentLatencyMs: 12 } : null, sizeBytes: 1000,
  datasetId: 3, jobId: null, parentModelId: null, createdAt: '',
});
const comparison: ModelComparison = {
  models: [compared(1, 'baseline', null, 0.9, null, 0), compared(2, 'sfp-30', 'sfp', 0.556, 0.84, 120), compared(3, 'sfp-30 compact', 'compact', 0.556, null, 0)],
  scatter: { accuracyVsFlops: [], accuracyVsLatency: [] },
  layers: [],
  lineage: {},
};

describe('Compare says which accuracy it plots and switches', () => {
  it('plots the accuracy after the last mask by default, and the BN re-estimated one when chosen, leaving out the compact model', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: { 'models.list': () => [summary(1, 'baseline'), summary(2, 'sfp-30'), summary(3, 'sfp-30 compact')], 'models.compare': () => comparison },
    });
    for (const id of [1, 2, 3]) await mounted.wrapper.get(`[data-test="pick-${id}"]`).setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    const w = mounted.wrapper;
    const plotted = () => (w.findAllComponents(UiChart)[0]!.props('data') as { datasets: { label: string; data: { y: number }[] }[] }).datasets.map((d) => [d.label, Math.round(d.data[0]!.y * 10) / 10]);
    const cells = () => [1, 2, 3].map((id) => w.get(`[data-test="accuracy-${id}"]`).text());

    expect(w.get('[data-test="compare-accuracy-head"]').text()).toBe('Accuracy, after the last mask');
    expect(cells()).toEqual(['90.00%', '55.60%', '55.60%']);
    expect(w.get('[data-test="accuracy-bn-2"]').text()).toBe('84.00%');
    expect(w.get('[data-test="compare-accuracy-note"]').text()).toMatch(/after its last mask/);
    expect(plotted()).toEqual([['baseline', 90], ['sfp-30', 55.6], ['sfp-30 compact', 55.6]]);
    expect(w.text()).toContain('Accuracy (after the last mask) vs FLOPs');

    await w.get('[data-test="compare-accuracy-choice"]').setValue('accuracyBnRecalibrated');
    await flushPromises();
    expect(w.get('[data-test="compare-accuracy-head"]').text()).toBe('Accuracy, BN re-estimated');
    expect(cells()).toEqual(['90.00%', '84.00%', '—']);
    expect(w.find('[data-test="accuracy-bn-2"]').exists()).toBe(false);
    expect(plotted()).toEqual([['baseline', 90], ['sfp-30', 84]]);
    expect(w.get('[data-test="compare-accuracy-note"]').text()).toMatch(/re-estimating BatchNorm statistics.*Left out, having no such accuracy: sfp-30 compact\./s);
    expect(w.text()).toContain('Accuracy (BN re-estimated) vs FLOPs');
  });
});
