// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import LocalizePage from '../../src-renderer/src/localize/LocalizePage.vue';
import type { LocalizeEvalSummary, LocalizeImage, LocalizeMapView, LocalizePerClass, ModelSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';
import { dataset } from './datasets-fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const summary: LocalizeEvalSummary = {
  evalJobId: 9, modelId: 3, modelName: 'SPG resnet20', datasetId: 4, split: 'test', selectSplit: 'val', method: 'spg', threshold: 0.2, images: 2, createdAt: '',
  chosenThresholds: [],
  curve: { thresholds: [0, 0.5], ious: [0.3, 0.5, 0.7], accuracy: [[1, 0.8], [0.6, 0.4], [0, 0.2]] },
  rows: [
    { name: 'SPG (SPG resnet20)', top1Cls: 0.9, top1Loc: 0.5, top5Loc: 0.6, gtKnownLoc: 0.6, maxBoxAccV2: 0.55, pxap: 0.4 },
    { name: 'input as map (no learning)', top1Cls: null, top1Loc: null, top5Loc: null, gtKnownLoc: 0.04, maxBoxAccV2: 0.1, pxap: 0.2 },
  ],
};
const images: LocalizeImage[] = [
  { index: 0, sampleId: 100, label: 1, predicted: 1, box: [2, 2, 10, 12], gtBoxes: [[2, 2, 10, 10]], iou: 0.8 },
  { index: 1, sampleId: 101, label: 2, predicted: 0, box: [0, 0, 4, 4], gtBoxes: [[8, 8, 16, 16], [1, 1, 3, 3]], iou: 0.25 },
];

const perClass: LocalizePerClass[] = [
  { label: 1, name: 'plus', images: 1, top1Cls: 1, gtKnownLoc: 1, top1Loc: 1 },
  { label: 2, name: 'ring', images: 1, top1Cls: 0, gtKnownLoc: 0, top1Loc: 0 },
];

const handlers = {
  'localize.evals': () => [summary],
  'localize.images': ({ order, filter, label }: { order?: string; filter?: string; label?: number }) => {
    const kept = images.filter((i) => (filter !== 'correct' || (i.predicted === i.label && i.iou >= 0.5)) && (label === undefined || i.label === label));
    const items = order === 'worstIou' ? [...kept].sort((a, b) => a.iou - b.iou) : kept;
    return { total: items.length, width: 16, height: 16, items, perClass };
  },
  'localize.map': ({ index }: { index: number }) => ({ width: 16, height: 16, values: new Array(256).fill(index * 100) }),
  'models.list': () => [],
  'datasets.list': () => [],
};

const model = (id: number, name: string, method: string): ModelSummary => ({ id, name, arch: 'resnet20', method, rate: null, parentModelId: null, datasetId: 4, jobId: null, dir: '', metrics: {}, createdAt: '' });
/** A mask of 16 x 16: `object` pixels 2, then `ignored` pixels 1, the rest 0. */
const mask = (object: number, ignored: number): number[] => Array.from({ length: 256 }, (_, i) => (i < object ? 2 : i < object + ignored ? 1 : 0));

/** Maps jobs 50 (CAM model 5) and 60 (SPG model 6); the predicted box shrinks at threshold 0.5. */
function view(jobId: number, threshold: number): LocalizeMapView {
  const spg = jobId === 60;
  const box: [number, number, number, number] = threshold >= 0.5 ? [4, 4, 8, 8] : spg ? [2, 2, 10, 10] : [0, 0, 12, 12];
  const iou = threshold >= 0.5 ? 0.25 : spg ? 1 : 0.44;
  return {
    jobId, modelId: spg ? 6 : 5, method: spg ? 'spg' : 'cam', width: 16, height: 16, threshold,
    item: { index: 0, sampleId: 100, width: 16, height: 16, offset: 0, label: 1, labelName: 'plus', predicted: spg ? 1 : 0, predictedName: spg ? 'plus' : 'square', score: 0.75, box, gtBoxes: [{ box: [2, 2, 10, 10], iou }], iou, png: '100.png' },
    values: new Array(256).fill(128),
    stages: spg ? [{ stage: 1, high: 0.7, low: 0.05, mask: mask(10, 20) }, { stage: 2, high: 0.5, low: 0.05, mask: mask(30, 0) }, { stage: 3, high: 0.7, low: 0.1, mask: mask(5, 251) }] : null,
  };
}

describe('Localization page', () => {
  it('shows the protocol table, the image with its boxes, IoU and map; arrow keys and the order move through images', async () => {
    mounted = await mountWithApi(LocalizePage, { handlers });
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.get('[data-test="loc-table"]').text()).toContain('input as map (no learning)');
    expect(w.get('[data-test="loc-table"]').text()).toContain('55.0%');
    // One accuracy-versus-threshold line per IoU: threshold 0.5 -> x 50, accuracy 0.4 -> y 30.
    const lines = w.findAll('[data-test="loc-curve"] polyline');
    expect(lines.map((l) => l.attributes('data-iou'))).toEqual(['0.3', '0.5', '0.7']);
    expect(lines[1]!.attributes('points')).toBe('0.0,20.0 50.0,30.0');
    expect(w.get('[data-test="loc-viewer"] img').attributes('src')).toBe(mounted.api.sampleUrl(100));
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.80');
    const pred = w.get('[data-test="loc-pred"]');
    expect([pred.attributes('x'), pred.attributes('y'), pred.attributes('width'), pred.attributes('height')]).toEqual(['2', '2', '8', '10']);
    expect(w.findAll('[data-test="loc-gt"]')).toHaveLength(1);
    expect(mounted.api.callsOf('localize.map').at(-1)).toEqual({ evalJobId: 9, index: 0 });

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    await flushPromises();
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.25');
    expect(w.get('[data-test="loc-info"]').text()).toContain('(wrong)');
    expect(w.findAll('[data-test="loc-gt"]')).toHaveLength(2);
    expect(mounted.api.callsOf('localize.map').at(-1)).toEqual({ evalJobId: 9, index: 1 });

    await w.get('[data-test="loc-order"]').setValue('worstIou');
    await flushPromises();
    expect(mounted.api.callsOf('localize.images').at(-1)).toMatchObject({ evalJobId: 9, order: 'worstIou', filter: 'all' });
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.25');
  });

  it('per-class accuracy table; the class and correct filters go to localize.images and the viewer shows what they keep; class names in the info', async () => {
    mounted = await mountWithApi(LocalizePage, { handlers });
    await flushPromises();
    const w = mounted.wrapper;
    const rows = w.findAll('[data-test="loc-per-class"] tbody tr').map((r) => r.findAll('td').map((d) => d.text()));
    expect(rows).toEqual([['plus', '1', '100.0%', '100.0%', '100.0%'], ['ring', '1', '0.0%', '0.0%', '0.0%']]);
    // Both result tables in the app's table style, every number column right-aligned under a right-aligned header.
    for (const table of ['loc-table', 'loc-per-class']) {
      const t = w.get(`[data-test="${table}"]`);
      expect(t.classes()).toContain('table');
      const heads = t.findAll('thead th').map((th) => th.classes().includes('num'));
      expect(heads.slice(1).every(Boolean), table).toBe(true);
      for (const row of t.findAll('tbody tr')) expect(row.findAll('td').map((td) => td.classes().includes('num')), table).toEqual(heads);
    }
    expect(w.get('[data-test="loc-info"]').text()).toContain('plus · predicted plus');
    await w.get('[data-test="loc-class"]').setValue('2');
    await flushPromises();
    expect(mounted.api.callsOf('localize.images').at(-1)).toMatchObject({ evalJobId: 9, label: 2 });
    expect(w.get('[data-test="loc-info"]').text()).toContain('ring · predicted class 0');
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.25');
    await w.get('[data-test="loc-filter"]').setValue('correct');
    await flushPromises();
    expect(mounted.api.callsOf('localize.images').at(-1)).toMatchObject({ filter: 'correct', label: 2 });
    expect(w.text()).toContain('No images match.');
    await w.get('[data-test="loc-class"]').setValue(null);
    await flushPromises();
    expect(mounted.api.callsOf('localize.images').at(-1)).not.toHaveProperty('label');
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.80');
    expect(w.findAll('[data-test="loc-colormap"] option').map((o) => o.text())).toEqual(['jet', 'viridis', 'gray']);
  });

  it('says what to do when nothing was evaluated, and shows an evaluation once its job finishes', async () => {
    let evals: LocalizeEvalSummary[] = [];
    mounted = await mountWithApi(LocalizePage, { handlers: { ...handlers, 'localize.evals': () => evals } });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="empty-state"]').text()).toContain('No localization evaluations yet');
    evals = [summary];
    mounted.api.emit('job.updated', job({ id: 9, kind: 'localize.train', status: 'succeeded' }));
    await flushPromises();
    expect(mounted.api.callsOf('localize.evals')).toHaveLength(1);
    mounted.api.emit('job.updated', job({ id: 9, kind: 'localize.eval', status: 'succeeded' }));
    await flushPromises();
    expect(mounted.api.callsOf('localize.evals')).toHaveLength(2);
    expect(mounted.wrapper.get('[data-test="loc-table"]').text()).toContain('SPG (SPG resnet20)');
  });

  it('computes CAM and SPG maps of the image on view side by side: boxes at the threshold slider, IoU, SPG stage masks; a failed job says why', async () => {
    mounted = await mountWithApi(LocalizePage, {
      handlers: {
        ...handlers,
        'models.list': ({ method }) => (method === 'cam' ? [model(5, 'CAM r20', 'cam')] : method === 'spg' ? [model(6, 'SPG r20', 'spg'), model(7, 'SPG old', 'spg')] : []),
        'localize.maps': ({ modelId }) => job({ id: modelId * 10, kind: 'localize.maps', status: 'queued' }),
        'localize.mapView': ({ jobId, threshold }) => view(jobId, threshold ?? 0.2),
      },
    });
    await flushPromises();
    const w = mounted.wrapper;
    const api = mounted.api;
    expect((w.get('[data-test="loc-cam-model"]').element as HTMLSelectElement).value).toBe('5');
    expect(w.findAll('[data-test="loc-spg-model"] option').map((o) => o.text())).toEqual(['none', '#6 SPG r20', '#7 SPG old']);

    await w.get('[data-test="loc-compare-run"]').trigger('click');
    await flushPromises();
    // One job per model on the image on view (sample 100 of the evaluation's dataset 4).
    expect(api.callsOf('localize.maps')).toEqual([
      { modelId: 5, datasetId: 4, sampleIds: [100], threshold: 0.2 },
      { modelId: 6, datasetId: 4, sampleIds: [100], threshold: 0.2 },
    ]);
    expect(w.findAll('[data-test="loc-side-busy"]')).toHaveLength(2);
    api.emit('job.updated', job({ id: 50, kind: 'localize.maps', status: 'running' }));
    await flushPromises();
    expect(api.callsOf('localize.mapView')).toHaveLength(0);
    api.emit('job.updated', job({ id: 50, kind: 'localize.maps', status: 'succeeded' }));
    api.emit('job.updated', job({ id: 60, kind: 'localize.maps', status: 'succeeded' }));
    await flushPromises();
    expect(api.callsOf('localize.mapView')).toEqual([
      { jobId: 50, sampleId: 100, threshold: 0.2 },
      { jobId: 60, sampleId: 100, threshold: 0.2 },
    ]);
    const cam = w.get('[data-test="loc-side-cam"]');
    const spg = w.get('[data-test="loc-side-spg"]');
    const box = (side: typeof cam): string[] => ['x', 'y', 'width', 'height'].map((a) => side.get('[data-test="loc-side-pred"]').attributes(a)!);
    expect(box(cam)).toEqual(['0', '0', '12', '12']);
    expect(box(spg)).toEqual(['2', '2', '8', '8']);
    expect(cam.findAll('[data-test="loc-side-gt"]')).toHaveLength(1);
    expect(cam.get('[data-test="loc-side-iou"]').text()).toBe('0.44');
    expect(spg.get('[data-test="loc-side-iou"]').text()).toBe('1.00');
    expect(cam.get('[data-test="loc-side-class"]').text()).toBe('square (75%) (wrong: plus)');
    expect(spg.get('[data-test="loc-side-class"]').text()).toBe('plus (75%)');
    // SPG's three stage masks, with the thresholds and what each marks; CAM has none.
    expect(cam.findAll('[data-test^="loc-stage-"]')).toHaveLength(0);
    expect(spg.get('[data-test="loc-stage-1"]').text()).toBe('Stage 1 (object ≥ 0.7, background < 0.05): object 10 · ignored 20 · background 226 px');
    expect(spg.get('[data-test="loc-stage-2"]').text()).toContain('object 30 · ignored 0 · background 226');
    expect(spg.get('[data-test="loc-stage-3"]').text()).toContain('(object ≥ 0.7, background < 0.1): object 5 · ignored 251 · background 0');

    // The slider asks both for the box at the new threshold.
    await w.get('[data-test="loc-threshold"]').setValue('0.5');
    await flushPromises();
    expect(api.callsOf('localize.mapView').slice(-2)).toEqual([
      { jobId: 50, sampleId: 100, threshold: 0.5 },
      { jobId: 60, sampleId: 100, threshold: 0.5 },
    ]);
    expect(box(w.get('[data-test="loc-side-cam"]'))).toEqual(['4', '4', '4', '4']);
    expect(w.get('[data-test="loc-side-spg"] [data-test="loc-side-iou"]').text()).toBe('0.25');

    // The same model and image again: the finished jobs are reused, nothing is queued.
    await w.get('[data-test="loc-compare-run"]').trigger('click');
    await flushPromises();
    expect(api.callsOf('localize.maps')).toHaveLength(2);
    expect(box(w.get('[data-test="loc-side-cam"]'))).toEqual(['4', '4', '4', '4']);

    // Another image clears the maps; a failed job shows its error.
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    await flushPromises();
    expect(w.findAll('[data-test="loc-side-pred"]')).toHaveLength(0);
    const picker = w.get('[data-test="loc-spg-model"]').element as HTMLSelectElement;
    picker.selectedIndex = 0;
    await w.get('[data-test="loc-spg-model"]').trigger('change');
    expect(w.get('[data-test="loc-side-spg"]').isVisible()).toBe(false);
    await w.get('[data-test="loc-compare-run"]').trigger('click');
    await flushPromises();
    expect(api.callsOf('localize.maps')).toHaveLength(3);
    api.emit('job.updated', job({ id: 50, kind: 'localize.maps', status: 'failed', error: 'sampleIds: 101 is not a sample of dataset 4' }));
    await flushPromises();
    expect(w.get('[data-test="loc-side-cam"] [data-test="loc-side-error"]').text()).toContain('failed: sampleIds: 101');
  });

  it('starts the localization jobs from their forms: SPG thresholds only for SPG, the eval model picker offers CAM and SPG models', async () => {
    mounted = await mountWithApi(LocalizePage, {
      handlers: {
        ...handlers,
        'localize.evals': () => [],
        'datasets.list': () => [dataset({ id: 4, name: 'loc set' })],
        'models.list': ({ method }) => (method === 'cam' ? [model(5, 'CAM r20', 'cam')] : method === 'spg' ? [model(6, 'SPG r20', 'spg')] : [model(2, 'classifier', 'baseline'), model(5, 'CAM r20', 'cam')]),
        'jobs.submit': ({ kind }) => job({ id: 70, kind, status: 'queued' }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="start-localize-train"]').trigger('click');
    await flushPromises();
    expect((w.get('#loc-train-stage1-high').element as HTMLInputElement).value).toBe('0.7');
    expect((w.get('#loc-train-stage2-high').element as HTMLInputElement).value).toBe('0.5');
    expect((w.get('#loc-train-stage3-low').element as HTMLInputElement).value).toBe('0.1');
    await w.get('#loc-train-stage2-high').setValue('0.6');
    await w.get('form').trigger('submit');
    await flushPromises();
    const sent = mounted.api.callsOf('jobs.submit').at(-1) as { kind: string; params: { datasetId: number; method: string; spg: { stage2: { high: number } } } };
    expect(sent.kind).toBe('localize.train');
    expect(sent.params).toMatchObject({ datasetId: 4, method: 'spg', spg: { stage2: { high: 0.6, low: 0.05 } } });

    await w.get('[data-test="start-localize-train"]').trigger('click');
    await flushPromises();
    await w.get('#loc-train-method').setValue('cam');
    expect(w.find('#loc-train-stage1-high').exists()).toBe(false);

    await w.get('[data-test="start-localize-eval"]').trigger('click');
    await flushPromises();
    expect(w.findAll('#localize-eval-modelId option').map((o) => o.text())).toEqual(['SPG r20 (resnet20, spg)', 'CAM r20 (resnet20, cam)']);
  });

  it('the train form offers the recipes: choosing the paper ILSVRC recipe fills its schedule and says where it comes from; edited fields and custom stay the user\'s', async () => {
    mounted = await mountWithApi(LocalizePage, {
      handlers: {
        ...handlers,
        'localize.evals': () => [],
        'datasets.list': () => [dataset({ id: 4, name: 'loc set' })],
        'jobs.submit': ({ kind }) => job({ id: 71, kind, status: 'queued' }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="start-localize-train"]').trigger('click');
    await flushPromises();
    const value = (id: string) => (w.get(`#loc-train-${id}`).element as HTMLInputElement).value;
    // Custom: the schema's defaults.
    expect([value('epochs'), value('lr'), value('schedule')]).toEqual(['10', '0.05', 'constant']);
    await w.get('[data-test="loc-train-recipe-spg-ilsvrc-paper"]').setValue(true);
    await flushPromises();
    expect([value('method'), value('arch'), value('epochs'), value('batch'), value('lr'), value('wd')]).toEqual(['spg', 'resnet50', '5', '20', '0.001', '0.0001']);
    expect(w.text()).toContain('xiaomengyc/SPG');
    expect(w.text()).toContain('an imported ImageNet ResNet-50');
    await w.get('#loc-train-epochs').setValue('3');
    await w.get('[data-test="loc-train-recipe-spg-cub-paper"]').setValue(true);
    await flushPromises();
    // The edited epochs stay; the rest follows the CUB recipe.
    expect([value('epochs'), value('lr')]).toEqual(['3', '0.001']);
    await w.get('[data-test="job-form-localize.train"]').trigger('submit');
    await flushPromises();
    const sent = mounted.api.callsOf('jobs.submit').at(-1) as { kind: string; params: Record<string, unknown> };
    expect(sent.params).toMatchObject({ datasetId: 4, method: 'spg', arch: 'resnet50', imageSize: [224, 224], epochs: 3, batchSize: 20, learningRate: 0.001, lrSchedule: 'constant' });
    expect(sent.params.recipe).toBeUndefined();
  });

  it('without an evaluation, compares the models on any image: a dataset and a sample id', async () => {
    mounted = await mountWithApi(LocalizePage, {
      handlers: {
        ...handlers,
        'localize.evals': () => [],
        'datasets.list': () => [dataset({ id: 4, name: 'loc set' })],
        'models.list': ({ method }) => (method === 'cam' ? [model(5, 'CAM r20', 'cam')] : []),
        'localize.maps': ({ modelId }) => job({ id: modelId * 10, kind: 'localize.maps', status: 'queued' }),
        'localize.mapView': ({ jobId, threshold }) => view(jobId, threshold ?? 0.2),
      },
    });
    const w = mounted.wrapper;
    expect(w.find('[data-test="loc-compare"]').exists()).toBe(false);
    await w.get('[data-test="loc-any-dataset"]').setValue('4');
    await w.get('[data-test="loc-any-sample"]').setValue('100');
    await flushPromises();
    await w.get('[data-test="loc-compare-run"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('localize.maps')).toEqual([{ modelId: 5, datasetId: 4, sampleIds: [100], threshold: 0.2 }]);
    mounted.api.emit('job.updated', job({ id: 50, kind: 'localize.maps', status: 'succeeded' }));
    await flushPromises();
    expect(w.get('[data-test="loc-side-cam"] [data-test="loc-side-iou"]').text()).toBe('0.44');
    expect(w.get('[data-test="loc-side-spg"]').isVisible()).toBe(false);
  });
});
