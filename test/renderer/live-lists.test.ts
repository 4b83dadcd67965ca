// @vitest-environment happy-dom
/** Lists and tables follow the jobs they depend on: a job that ends reloads them, through job.updated or, for models, the host's data.changed. */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import DatasetsPage from '../../src-renderer/src/datasets/DatasetsPage.vue';
import SpganTranslatedPairs from '../../src-renderer/src/spgan/SpganTranslatedPairs.vue';
import { jobKinds, type ComparedModel, type DatasetSummary, type JobKind, type ModelSummary, type TranslatedDatasetSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const model = (id: number, name: string, method: string | null): ModelSummary => ({
  id, name, arch: 'resnet20', method, rate: method ? 0.3 : null, parentModelId: method ? 1 : null, datasetId: 3, jobId: id * 10, dir: '', metrics: { accuracy: 0.9 }, createdAt: '',
});
const compared = (id: number, latencyMs: number | null): ComparedModel => ({
  id, name: `m${id}`, arch: 'resnet20', method: id === 1 ? null : 'sfp', rate: null, accuracy: 0.9, accuracyBnRecalibrated: null, flops: 1e6, paperFlops: null, flopsReduction: 0, paperFlopsReduction: null,
  params: 1000, zeroFilters: id === 1 ? 0 : 4, compactSpeedup: null, sizeBytes: 1000, datasetId: 3, jobId: null, parentModelId: null, createdAt: '',
  latency: latencyMs === null ? null : ({ tfjs: { '1': { meanMs: latencyMs, imagesPerSecond: 1000 / latencyMs } } } as unknown as ComparedModel['latency']),
});
const ended = (id: number, kind: JobKind, status: 'succeeded' | 'running' = 'succeeded') => job({ id, kind, status, progress: null, finishedAt: status === 'running' ? null : '2026-11-25T20:10:00.000Z' });

describe('lists follow the jobs they depend on', () => {
  it('Compare: data.changed models (a latency job committed) fills the latency cell, (a compact job) adds its model to the list; job events and other data change nothing', async () => {
    let measured = false;
    let models = [model(1, 'baseline', null), model(2, 'sfp-30', 'sfp')];
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => models,
        'models.compare': ({ ids }) => ({ models: ids.map((id) => compared(id, measured ? 2.5 : null)), scatter: { accuracyVsFlops: [], accuracyVsLatency: [] }, layers: [], lineage: {} }),
      },
    });
    await mounted.wrapper.get('[data-test="pick-1"]').setValue(true);
    await mounted.wrapper.get('[data-test="pick-2"]').setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="latency-2"]').text()).toContain('Measure');

    measured = true;
    // The job's own end is not the signal (the host says what it changed once committed), nor other data.
    mounted.api.emit('job.updated', ended(90, jobKinds.modelsLatency));
    mounted.api.emit('data.changed', { what: 'datasets' });
    await flushPromises();
    expect(mounted.api.callsOf('models.compare')).toHaveLength(1);

    mounted.api.emit('data.changed', { what: 'models' });
    await flushPromises();
    expect(mounted.api.callsOf('models.compare')).toEqual([{ ids: [1, 2] }, { ids: [1, 2] }]);
    expect(mounted.wrapper.get('[data-test="latency-2"]').text()).toContain('2.50 ms');

    models = [...models, model(3, 'sfp-30-compact', 'compact')];
    mounted.api.emit('job.updated', ended(92, jobKinds.modelsCompact));
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="pick-3"]').exists()).toBe(false);
    mounted.api.emit('data.changed', { what: 'models' });
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="pick-3"]').exists()).toBe(true);
  });

  it('Datasets: an import that ends adds its dataset to the list', async () => {
    let list: DatasetSummary[] = [dataset()];
    mounted = await mountWithApi(DatasetsPage, { path: '/datasets', handlers: { 'datasets.list': () => list } });
    expect(mounted.wrapper.findAll('[data-test="datasets-table"] tbody tr')).toHaveLength(1);
    list = [...list, dataset({ id: 2, name: 'market' })];
    mounted.api.emit('job.updated', ended(40, jobKinds.datasetsImport, 'running'));
    await flushPromises();
    expect(mounted.wrapper.findAll('[data-test="datasets-table"] tbody tr')).toHaveLength(1);
    mounted.api.emit('job.updated', ended(40, jobKinds.datasetsImport));
    await flushPromises();
    expect(mounted.wrapper.findAll('[data-test="datasets-table"] tbody tr')).toHaveLength(2);
  });

  it('Training form: a pipeline saved elsewhere (data.changed) joins the pipeline picker', async () => {
    let pipelines = [{ id: 2, name: 'flip-crop', spec: { version: 1 as const, steps: [] }, createdAt: '' }];
    mounted = await mountWithApi(App, {
      path: '/training/new',
      handlers: {
        'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
        'augment.pipelines.list': () => pipelines,
        'models.architectures': () => [{ name: 'resnet20', family: 'cifar', depth: 20, description: '', defaultInputSize: [32, 32], minInputSize: 8 }],
        'models.list': () => [],
      },
    });
    const names = () => mounted!.wrapper.get('[data-test="tr-pipeline"]').findAll('option').map((o) => o.text());
    expect(names()).toEqual(['none', 'flip-crop']);
    pipelines = [...pipelines, { id: 3, name: 'erase', spec: { version: 1 as const, steps: [] }, createdAt: '' }];
    mounted.api.emit('data.changed', { what: 'settings' });
    await flushPromises();
    expect(names()).toEqual(['none', 'flip-crop']);
    mounted.api.emit('data.changed', { what: 'pipelines' });
    await flushPromises();
    expect(names()).toEqual(['none', 'flip-crop', 'erase']);
  });

  it('SPGAN: a translate job that ends adds the translated dataset, shown at once when the list was empty', async () => {
    let translated: TranslatedDatasetSummary[] = [];
    mounted = await mountWithApi(SpganTranslatedPairs, {
      handlers: {
        'spgan.translatedDatasets': () => translated,
        'spgan.translatedPairs': () => ({ total: 0, items: [] }),
      },
    });
    expect(mounted.wrapper.text()).toContain('No translated datasets yet');
    translated = [{ datasetId: 8, name: 'market→duke e3', sourceDatasetId: 1, samples: 12, createdAt: '', lineage: { kind: 'spgan-translation', runJobId: 5, translateJobId: 41, epoch: 3, sourceDatasetId: 1, targetDatasetId: 2, imageSize: [64, 32], config: {} as never } }];
    mounted.api.emit('job.updated', ended(41, jobKinds.spganTranslate));
    await flushPromises();
    expect(mounted.wrapper.text()).not.toContain('No translated datasets yet');
    expect(mounted.wrapper.text()).toContain('epoch 3 of run #5');
    expect(mounted.api.callsOf('spgan.translatedPairs')).toEqual([{ datasetId: 8, offset: 0, limit: 60 }]);
  });
});
