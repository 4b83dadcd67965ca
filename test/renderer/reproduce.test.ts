// @vitest-environment happy-dom
/**
 * The Reproductions page: the catalogue from the contract, the start form
 * (the schema's fields; a refusal lands on its field), and the report with the
 * paper's numbers beside ours, refreshed when one of its runs ends.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import ReproducePage from '../../src-renderer/src/reproduce/ReproducePage.vue';
import type { ReproductionReport, ReproductionRunRow, ReproductionSummary } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { catalogue, catalogueEntry, describeEntry } from '../../src-main/reproduce/catalogue.ts';
import { reportMarkdown, reportRows } from '../../src-main/reproduce/report.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const summary: ReproductionSummary = { id: 5, entry: 'psfp-vs-sfp', title: 'PSFP vs SFP at equal rate', scale: 'quick', dataset: { id: 1, name: 'fmnist' }, seeds: [1], sweepId: 'sw-1', createdAt: '2026-12-04T06:00:00Z', jobs: { queued: 2 } };

function report(runs: ReproductionRunRow[]): ReproductionReport {
  const entry = catalogueEntry('psfp-vs-sfp')!;
  const rows = reportRows(entry, 'quick', runs);
  return { reproduction: summary, entry: describeEntry(entry), rows, runs, markdown: reportMarkdown(entry, 'quick', rows, runs) };
}
const run = (key: string, jobId: number, accuracy: number | null, status: ReproductionRunRow['status']): ReproductionRunRow => ({ key, label: key, seed: 1, jobId, status, accuracy, accuracyBnRecalibrated: null, flopsCut: accuracy === null ? null : 42.3, modelId: null });

describe('the Reproductions page', () => {
  it('queues an entry at the chosen scale with the dataset and seeds, then shows its report and follows its runs', async () => {
    let current = report([run('sfp', 21, null, 'running'), run('psfp', 22, null, 'queued')]);
    mounted = await mountWithApi(ReproducePage, {
      handlers: {
        'reproduce.catalogue': () => catalogue.map(describeEntry),
        'reproduce.list': () => [],
        'reproduce.start': () => summary,
        'reproduce.report': () => current,
        'jobs.list': () => [job({ id: 21, kind: 'train.run', status: 'queued', progress: null }), job({ id: 22, kind: 'train.run', status: 'queued', progress: null })],
        'datasets.list': () => [dataset({ id: 1, name: 'fmnist' })],
        'datasets.splits.list': () => [],
      },
    });
    const w = mounted.wrapper;
    expect(w.findAll('[data-test="reproduce-catalogue"] tbody tr')).toHaveLength(catalogue.length);
    // Scales as counted words: "2 runs × 1 seed", never "1 seeds".
    const scales = w.findAll('[data-test="reproduce-catalogue"] tbody td').map((td) => td.text()).filter((t) => t.includes(' × '));
    expect(scales.length).toBe(2 * catalogue.length);
    expect(scales.filter((t) => !/^\d+ runs? × \d+ seeds?$/.test(t) || /^1 runs|× 1 seeds/.test(t))).toEqual([]);
    expect(scales).toContain('2 runs × 1 seed');
    await w.get('[data-test="reproduce-psfp-vs-sfp"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="entry-claims"]').text()).toContain('1.08');
    await w.get('[data-test="reproduce-scale-paper"]').setValue(true);
    await w.get('[data-test="reproduce-dataset"]').setValue('1');
    await w.get('[data-test="reproduce-seeds"]').setValue('1, 2');
    await w.get('[data-test="reproduce-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('reproduce.start')).toEqual([expect.objectContaining({ entry: 'psfp-vs-sfp', scale: 'paper', datasetId: 1, seeds: [1, 2] })]);
    // The report of the new reproduction: nothing measured yet.
    expect(w.get('[data-test="claim-psfp-gain"] [data-test="claim-status"]').text()).toBe('running');
    expect(w.get('[data-test="reproduce-started"]').text()).toContain('PSFP vs SFP at equal rate');
    // A run ends: the report follows.
    current = report([run('sfp', 21, 85, 'succeeded'), run('psfp', 22, 86.5, 'succeeded')]);
    mounted.api.emit('job.updated', job({ id: 22, kind: 'train.run', status: 'succeeded', progress: null }));
    await flushPromises();
    expect(w.get('[data-test="claim-psfp-gain"]').text()).toMatch(/1\.08.*1\.50.*\+0\.42.*not comparable \(quick scale\)/);
    expect(w.get('[data-test="claim-psfp-better"] [data-test="claim-status"]').text()).toBe('reproduced');
    expect(w.get('[data-test="report-runs"]').text()).toContain('86.50');
  });

  it('puts a refusal on the field it names and queues nothing', async () => {
    mounted = await mountWithApi(ReproducePage, {
      handlers: {
        'reproduce.catalogue': () => catalogue.map(describeEntry),
        'reproduce.list': () => [],
        'reproduce.start': () => {
          throw new ApiError('invalid_request', 'SFP on CIFAR-10 ResNets expects CIFAR-10; dataset 1 has 4 classes, not 10.', 'datasetId');
        },
        'datasets.list': () => [dataset({ id: 1, name: 'four' })],
        'datasets.splits.list': () => [],
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="reproduce-sfp-table"]').trigger('click');
    await flushPromises();
    await w.get('[data-test="reproduce-dataset"]').setValue('1');
    await w.get('[data-test="reproduce-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('[data-test="reproduce-form"]').text()).toContain('4 classes, not 10');
    expect(w.find('[data-test="reproduce-report"]').exists()).toBe(false);
  });
});
