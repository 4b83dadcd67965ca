// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import SpganPage from '../../src-renderer/src/spgan/SpganPage.vue';
import RunsDetail from '../../src-renderer/src/runs/RunsDetail.vue';
import { cmcChartData } from '../../src-renderer/src/spgan/cmc-chart.ts';
import type { ReidEvalSummary, RankedList, SpganRunSummary } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const run = { jobId: 5, title: 'SPGAN market → duke', status: 'succeeded', createdAt: '', sourceDatasetId: 1, targetDatasetId: 2, config: {}, checkpointEpochs: [1, 2, 3], sampleEpochs: [1, 2, 3], lastLosses: null } as unknown as SpganRunSummary;

const spganHandlers = {
  'spgan.runs': () => [run],
  'spgan.targetExamples': () => [{ sampleId: 90, path: '/t/90.jpg', personId: 7, camera: 2 }],
  'spgan.samples': ({ epoch }: { epoch: number }) => ({
    jobId: 5,
    epoch,
    groups: [
      { personId: 1, items: [{ direction: 'AtoB' as const, sampleId: 11, personId: 1, camera: 1, realPath: '/s/11.jpg', translatedPath: `/j/e${epoch}/11.png` }] },
      { personId: 2, items: [{ direction: 'AtoB' as const, sampleId: 12, personId: 2, camera: 3, realPath: '/s/12.jpg', translatedPath: `/j/e${epoch}/12.png` }] },
    ],
  }),
};

describe('translation viewer', () => {
  it('shows source | translated grouped by person at the last epoch, and moves epochs with the arrow keys', async () => {
    mounted = await mountWithApi(SpganPage, { handlers: spganHandlers });
    await flushPromises();
    expect(mounted.api.callsOf('spgan.samples').at(-1)).toMatchObject({ jobId: 5, epoch: 3 });
    expect(mounted.wrapper.findAll('[data-test="spgan-groups"] section')).toHaveLength(2);
    const translated = () => mounted!.wrapper.get('[data-test="spgan-groups"] img[alt="translated"]').attributes('src');
    expect(translated()).toBe(`test-file://${encodeURIComponent('/j/e3/11.png')}`);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' }));
    await flushPromises();
    expect(translated()).toBe(`test-file://${encodeURIComponent('/j/e2/11.png')}`);
    await mounted.wrapper.get('[data-test="spgan-person"]').setValue('2');
    expect(mounted.wrapper.findAll('[data-test="spgan-groups"] section')).toHaveLength(1);
    await mounted.wrapper.get('[data-test="spgan-mode"]').setValue('slider');
    expect(mounted.wrapper.find('[data-test="pair-slider"] input[type="range"]').exists()).toBe(true);
  });

  it('follows a run while it trains: a new epoch of samples appears and the viewer at the newest epoch moves to it', async () => {
    let current = { ...run, status: 'running', sampleEpochs: [1, 2] } as unknown as SpganRunSummary;
    mounted = await mountWithApi(SpganPage, { handlers: { ...spganHandlers, 'spgan.runs': () => [current] } });
    await flushPromises();
    expect(mounted.api.callsOf('spgan.samples').at(-1)).toMatchObject({ epoch: 2 });
    current = { ...current, sampleEpochs: [1, 2, 3] } as unknown as SpganRunSummary;
    mounted.api.emit('job.updated', job({ id: 5, kind: 'spgan.train', status: 'succeeded', progress: null }));
    await new Promise((r) => setTimeout(r, 10));
    await flushPromises();
    expect(mounted.api.callsOf('spgan.samples').at(-1)).toMatchObject({ epoch: 3 });
    expect(mounted.wrapper.get('[data-test="spgan-groups"] img[alt="translated"]').attributes('src')).toBe(`test-file://${encodeURIComponent('/j/e3/11.png')}`);
  });

  it('charts an SPGAN job by loss family on its run page, time apart', async () => {
    const points = ['d_A', 'd_B', 'g_adv', 'cycle', 'identity', 'contrastive', 'siamese', 'g_total', 'seconds_per_epoch'].map((name, i) => ({ step: 1, epoch: 1, name, value: i + 1 }));
    const finished = job({ id: 5, kind: 'spgan.train', status: 'succeeded', progress: null });
    mounted = await mountWithApi(RunsDetail, { props: { id: 5 }, handlers: { 'jobs.get': () => ({ ...finished, params: {}, result: null, logs: [] }), 'jobs.metrics': () => points, 'jobs.files': () => [] } });
    await flushPromises();
    const titles = mounted.wrapper.findAll('[data-test="metrics-charts"] h3').map((h) => h.text());
    expect(titles).toEqual(['Time', 'Adversarial (discriminators and generators)', 'Cycle and identity', 'Contrastive (SiaNet)', 'Generator total']);
  });

  it('says what to do when there are no runs', async () => {
    mounted = await mountWithApi(SpganPage, { handlers: { ...spganHandlers, 'spgan.runs': () => [] } });
    expect(mounted.wrapper.get('[data-test="empty-state"]').text()).toContain('No SPGAN runs yet');
  });
});

describe('ranked-list explorer', () => {
  const evalSummary = (id: number, name: string): ReidEvalSummary => ({
    evalJobId: id, modelId: id, modelName: name, queryDatasetId: 1, galleryDatasetId: 1, createdAt: '',
    metrics: { mAP: 0.5, cmc: [0.7, 0.8], queries: 2, queriesWithoutGood: 0, gallery: 10 } as ReidEvalSummary['metrics'],
  });
  const list = (id: number, verdicts: ('good' | 'wrong' | 'junk')[]): RankedList => ({
    evalJobId: id, modelId: id, modelName: `model ${id}`, firstGoodRank: verdicts.indexOf('good') + 1 || null, ap: 0.5,
    matches: verdicts.map((verdict, i) => ({ position: i + 1, sampleId: 100 + i, personId: verdict === 'good' ? 3 : 9, camera: i + 1, path: `/g/${i}.jpg`, distance: 0.1 * (i + 1), verdict })),
  });

  it('draws the CMC curves of the chosen evaluations in one chart, with their rank-k and mAP', async () => {
    const withCurve = (id: number, name: string, cmc: number[]): ReidEvalSummary => ({
      ...evalSummary(id, name),
      metrics: { rank1: cmc[0]!, rank5: cmc[4]!, rank10: cmc[9]!, rank20: cmc[9]!, mAP: 0.3, cmc, queries: 2, queriesWithoutGood: 0, gallery: 10 } as ReidEvalSummary['metrics'],
    });
    const ide = withCurve(20, 'IDE', [0.4, 0.5, 0.55, 0.6, 0.62, 0.64, 0.66, 0.7, 0.72, 0.75]);
    const spgan = withCurve(21, 'IDE + SPGAN', [0.55, 0.62, 0.68, 0.7, 0.73, 0.75, 0.77, 0.8, 0.81, 0.83]);
    expect(cmcChartData([ide, spgan], (e) => e.modelName)).toEqual({
      labels: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
      datasets: [
        { label: 'IDE', data: ide.metrics.cmc.map((v) => v * 100) },
        { label: 'IDE + SPGAN', data: spgan.metrics.cmc.map((v) => v * 100) },
      ],
    });
    mounted = await mountWithApi(SpganPage, { handlers: { ...spganHandlers, 'reid.evals': () => [ide, spgan], 'reid.queries': () => ({ total: 0, items: [] }) } });
    await mounted.wrapper.get('[data-test="tab-ranking"]').trigger('click');
    await flushPromises();
    const cmc = mounted.wrapper.get('[data-test="reid-cmc"]');
    expect(cmc.get('[data-test="cmc-row-21"]').text()).toMatch(/IDE \+ SPGAN \(#21\).*55\.0%.*73\.0%.*83\.0%.*83\.0%.*30\.0%/);
    expect(cmc.get('canvas').attributes('aria-label')).toBe('CMC curves of IDE (#20), IDE + SPGAN (#21): matching rate by rank');
    await cmc.get('[data-test="cmc-row-20"] input').setValue(false);
    expect(cmc.get('canvas').attributes('aria-label')).toBe('CMC curves of IDE + SPGAN (#21): matching rate by rank');
  });

  it('shows two models side by side with correct / incorrect borders and camera ids', async () => {
    mounted = await mountWithApi(SpganPage, {
      handlers: {
        ...spganHandlers,
        'reid.evals': () => [evalSummary(20, 'IDE'), evalSummary(21, 'IDE + SPGAN')],
        'reid.queries': () => ({ total: 1, items: [{ sampleId: 50, personId: 3, camera: 1, path: '/q/50.jpg', results: [{ evalJobId: 20, ap: 0.4, firstGoodRank: 2 }, { evalJobId: 21, ap: 1, firstGoodRank: 1 }] }] }),
        'reid.ranking': ({ querySampleId }) => ({
          query: { sampleId: querySampleId, personId: 3, camera: 1, path: '/q/50.jpg', results: [] },
          lists: [list(20, ['wrong', 'good', 'junk']), list(21, ['good', 'good', 'wrong'])],
        }),
      },
    });
    await mounted.wrapper.get('[data-test="tab-ranking"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('reid.queries').at(-1)).toMatchObject({ evalJobIds: [20, 21] });
    await mounted.wrapper.get('[data-test="rank-queries"] li').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('reid.ranking').at(-1)).toMatchObject({ evalJobIds: [20, 21], querySampleId: 50, k: 10 });
    const a = mounted.wrapper.get('[data-test="ranking-20"]');
    const b = mounted.wrapper.get('[data-test="ranking-21"]');
    expect(a.findAll('figure').map((f) => f.classes()[0])).toEqual(['wrong', 'good', 'junk']);
    expect(b.findAll('[data-test="match-good"]')).toHaveLength(2);
    expect(a.get('figure figcaption').text()).toContain('c1');
    expect(a.text()).toContain('first match at rank 2');
  });
});

describe('starting jobs from the translation area', () => {
  it('generates the SPGAN form from its params schema and submits the job; errors land next to their field', async () => {
    let first = true;
    mounted = await mountWithApi(SpganPage, {
      handlers: {
        ...spganHandlers,
        'datasets.list': () => [dataset({ id: 5, name: 'market', counts: { ...dataset().counts, identities: 751 } }), dataset({ id: 6, name: 'duke', counts: { ...dataset().counts, identities: 702 } })],
        'jobs.submit': ({ kind }) => {
          if (first) {
            first = false;
            throw new ApiError('invalid_request', 'Must be a multiple of 4', 'params.imageSize');
          }
          return job({ id: 40, kind, status: 'queued', progress: null });
        },
      },
    });
    await mounted.wrapper.get('[data-test="start-spgan-train"]').trigger('click');
    const form = () => mounted!.wrapper.get('[data-test="job-form-spgan.train"]');
    // One control per option of the schema, defaults filled in.
    for (const id of ['sourceDatasetId', 'targetDatasetId', 'imageSize', 'residualBlocks', 'epochs', 'lambdaContrastive', 'flip', 'seed']) {
      expect(form().find(`#spgan-train-${id}`).exists(), id).toBe(true);
    }
    expect((form().get('#spgan-train-epochs').element as HTMLInputElement).value).toBe('20');
    await form().get('#spgan-train-targetDatasetId').setValue('6');
    await form().get('#spgan-train-epochs').setValue('2');
    await form().get('#spgan-train-epochs').trigger('change');
    await form().trigger('submit');
    await flushPromises();
    expect(form().get('#spgan-train-imageSize-error').text()).toBe('Must be a multiple of 4');
    await form().trigger('submit');
    await flushPromises();
    const submitted = mounted.api.callsOf('jobs.submit').at(-1) as { kind: string; params: Record<string, unknown> };
    expect(submitted.kind).toBe('spgan.train');
    expect(submitted.params).toMatchObject({ sourceDatasetId: 5, targetDatasetId: 6, epochs: 2, imageSize: [256, 128], flip: true });
    expect(mounted.wrapper.find('[data-test="job-form-spgan.train"]').exists()).toBe(false);
  });
});
