// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import UiChart from '../../src-renderer/src/ui/UiChart.vue';
import type { ModelInfo, RunCurves, TrainConfig, TrainingRunDetail, TrainingRunRow } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';
import { valuesFromParams } from '../../src-renderer/src/forms/form-model.ts';
import { trainForm } from '../../src-renderer/src/job-forms/train.ts';
import { createPinia, setActivePinia } from 'pinia';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

function row(o: Partial<TrainingRunRow> & { jobId: number }): TrainingRunRow {
  return {
    jobIds: [o.jobId],
    name: `Run ${o.jobId}`,
    named: true,
    sweepId: null,
    status: 'succeeded',
    datasetId: 3,
    dataset: 'cifar10',
    model: 'resnet20',
    method: 'baseline',
    pruneRate: null,
    epochs: 10,
    epochsDone: 10,
    bestAccuracy: 0.9,
    finalAccuracy: 0.89,
    seconds: 600,
    createdAt: '2026-11-25T20:00:00.000Z',
    tags: [],
    notes: '',
    ...o,
  };
}

const rows: TrainingRunRow[] = [
  row({ jobId: 12, name: 'sfp 40 long', method: 'sfp', pruneRate: 0.4, bestAccuracy: 0.88, finalAccuracy: 0.87, seconds: 900, tags: ['paper'], notes: 'fig 2' }),
  row({ jobId: 11, jobIds: [9, 11], name: 'psfp resumed', method: 'psfp', pruneRate: 0.3, bestAccuracy: 0.91, finalAccuracy: 0.9, seconds: 300, status: 'running', epochsDone: 4 }),
  row({ jobId: 7, name: 'baseline', bestAccuracy: null, finalAccuracy: null, seconds: null, status: 'failed', epochsDone: 0 }),
];

const names = (m: Mounted) => m.wrapper.findAll('[data-test="run-name"]').map((a) => a.text());

describe('training runs list (experiment log)', () => {
  it('shows every column with the typed name first and the ids second, and sorts by each column', async () => {
    mounted = await mountWithApi(App, { path: '/training', handlers: { 'train.runs': () => rows } });
    const w = mounted.wrapper;
    expect(names(mounted)).toEqual(['sfp 40 long', 'psfp resumed', 'baseline']);
    const cells = w.findAll('[data-test="runs-log-row"]')[1]!.findAll('td').map((td) => td.text());
    expect(cells.slice(1)).toEqual([expect.stringMatching(/^psfp resumed\s*#9 → #11$/), 'cifar10', 'resnet20', 'psfp', '30%', '91.00%', '90.00%', '5m 00s', expect.stringContaining('running'), '', '']);
    expect(w.findAll('[data-test="runs-log-row"]')[0]!.text()).toContain('paper');
    // Numbers ascending, then descending; empty values last both ways.
    await w.get('[data-test="sort-bestAccuracy"]').trigger('click');
    expect(names(mounted)).toEqual(['sfp 40 long', 'psfp resumed', 'baseline']);
    await w.get('[data-test="sort-bestAccuracy"]').trigger('click');
    expect(names(mounted)).toEqual(['psfp resumed', 'sfp 40 long', 'baseline']);
    expect(w.get('[data-test="sort-bestAccuracy"]').element.parentElement!.getAttribute('aria-sort')).toBe('descending');
    await w.get('[data-test="sort-name"]').trigger('click');
    expect(names(mounted)).toEqual(['baseline', 'psfp resumed', 'sfp 40 long']);
    await w.get('[data-test="sort-seconds"]').trigger('click');
    expect(names(mounted)).toEqual(['psfp resumed', 'sfp 40 long', 'baseline']);
    await w.get('[data-test="sort-pruneRate"]').trigger('click');
    expect(names(mounted)).toEqual(['psfp resumed', 'sfp 40 long', 'baseline']);
    await w.get('[data-test="sort-status"]').trigger('click');
    expect(names(mounted)).toEqual(['baseline', 'psfp resumed', 'sfp 40 long']);
  });

  it('filters by text (name, #id, tag, note), status and method', async () => {
    mounted = await mountWithApi(App, { path: '/training', handlers: { 'train.runs': () => rows } });
    const w = mounted.wrapper;
    await w.get('[data-test="run-tag"]').trigger('click');
    expect((w.get('[data-test="runs-log-search"]').element as HTMLInputElement).value).toBe('paper');
    expect(names(mounted)).toEqual(['sfp 40 long']);
    await w.get('[data-test="runs-log-search"]').setValue('fig 2');
    expect(names(mounted)).toEqual(['sfp 40 long']);
    await w.get('[data-test="runs-log-search"]').setValue('#9');
    expect(names(mounted)).toEqual(['psfp resumed']);
    await w.get('[data-test="runs-log-search"]').setValue('');
    await w.get('[data-test="runs-log-status"]').setValue('failed');
    expect(names(mounted)).toEqual(['baseline']);
    await w.get('[data-test="runs-log-status"]').setValue('');
    await w.get('[data-test="runs-log-method"]').setValue('sfp');
    expect(names(mounted)).toEqual(['sfp 40 long']);
  });

  it('reloads when a training job changes state', async () => {
    mounted = await mountWithApi(App, { path: '/training', handlers: { 'train.runs': () => rows } });
    const before = mounted.api.callsOf('train.runs').length;
    mounted.api.emit('job.updated', job({ id: 13, kind: 'train.run', status: 'queued', progress: null }));
    await flushPromises();
    expect(mounted.api.callsOf('train.runs').length).toBe(before + 1);
    // Another kind's job leaves the list alone.
    mounted.api.emit('job.updated', job({ id: 14, kind: 'dataset.import', status: 'queued', progress: null }));
    await flushPromises();
    expect(mounted.api.callsOf('train.runs').length).toBe(before + 1);
  });

  it('picks runs and opens their curves side by side', async () => {
    mounted = await mountWithApi(App, { path: '/training', handlers: { 'train.runs': () => rows } });
    const w = mounted.wrapper;
    const compare = () => w.get('[data-test="compare-curves"]');
    expect(compare().attributes('disabled')).toBeDefined();
    await w.get('[data-test="pick-12"]').trigger('change');
    expect(compare().attributes('disabled')).toBeDefined();
    await w.get('[data-test="pick-11"]').trigger('change');
    expect(compare().attributes('disabled')).toBeUndefined();
    await compare().trigger('click');
    await flushPromises();
    expect(mounted.router.currentRoute.value.path).toBe('/training/compare/12,11');
  });
});

const config = (o: Partial<TrainConfig> = {}): TrainConfig =>
  ({
    name: 'sfp 40 long',
    dataset: { id: 3, trainSplit: 'train', testSplit: 'test', validationFraction: 0.1 },
    model: { arch: 'resnet20', options: { shortcut: 'A', widthMultiplier: 0.5 } },
    epochs: 12,
    batchSize: 128,
    evalBatchSize: 256,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'step', milestones: [6, 9], gamma: 0.2 },
    prune: { method: 'sfp', rate: 0.4, interval: 1, d: 0.125, bnRecalibrationBatches: 4, criterion: 'l2', zeroBn: false, noRegrowth: false, reestimateBn: false },
    seed: 0,
    ...o,
  }) as TrainConfig;

function detail(jobId: number, cfg: TrainConfig, status = 'succeeded'): TrainingRunDetail {
  return { jobId, kind: 'train.run', status, config: cfg, lineage: { parentModel: null, model: null, resumedFromJobId: null }, result: null, checkpoints: [], pruneRates: [] };
}

const architectures: ModelInfo[] = [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }];
const formHandlers = {
  'datasets.list': () => [dataset({ id: 3, name: 'cifar10' })],
  'augment.pipelines.list': () => [],
  'models.architectures': () => architectures,
  'models.list': () => [],
};

const curves: RunCurves[] = [
  {
    jobId: 12,
    name: 'sfp 40 long',
    jobIds: [12],
    resumes: [],
    points: [
      { jobId: 12, step: 1, epoch: 0.5, name: 'batch_loss', value: 2.1 },
      { jobId: 12, step: 2, epoch: 1, name: 'batch_loss', value: 1.9 },
      { jobId: 12, step: 1, epoch: 1, name: 'val_accuracy', value: 0.5 },
    ],
  },
  {
    jobId: 11,
    name: 'psfp resumed',
    jobIds: [9, 11],
    resumes: [{ jobId: 11, epoch: 1 }],
    points: [
      { jobId: 9, step: 1, epoch: 0.5, name: 'batch_loss', value: 2.3 },
      { jobId: 11, step: 2, epoch: 1, name: 'batch_loss', value: 2.0 },
    ],
  },
];

describe('comparing runs', () => {

  it('draws one chart per metric with one line per run, named by the runs, and diffs their configs', async () => {
    const configs: Record<number, TrainConfig> = {
      12: config(),
      11: config({ name: 'psfp resumed', epochs: 20, prune: { ...config().prune!, method: 'psfp', rate: 0.3 }, schedule: { kind: 'step', milestones: [10, 15], gamma: 0.2 } }),
    };
    mounted = await mountWithApi(App, {
      path: '/training/compare/12,11',
      handlers: { 'train.curves': ({ jobIds }) => jobIds.map((id) => curves.find((c) => c.jobId === id)!), 'train.get': ({ jobId }) => detail(jobId, configs[jobId]!) },
    });
    const w = mounted.wrapper;
    expect(w.get('[data-test="compare-legend"]').text()).toContain('sfp 40 long');
    expect(w.get('[data-test="compare-legend"]').text()).toMatch(/psfp resumed #9 → #11\s*\(resumed after epoch 1\)/);
    const charts = w.findAllComponents(UiChart);
    expect(charts).toHaveLength(2);
    const loss = w.get('[data-test="compare-chart-batch_loss"]').findComponent(UiChart).props('data') as { datasets: { label: string; data: { x: number; y: number }[] }[] };
    expect(loss.datasets.map((d) => d.label)).toEqual(['sfp 40 long', 'psfp resumed']);
    expect(loss.datasets[1]!.data).toEqual([
      { x: 0.5, y: 2.3 },
      { x: 1, y: 2.0 },
    ]);
    const acc = w.get('[data-test="compare-chart-val_accuracy"]').findComponent(UiChart).props('data') as { datasets: { label: string }[] };
    expect(acc.datasets.map((d) => d.label)).toEqual(['sfp 40 long']);
    // Only the differing fields, as dotted paths, with both values.
    const diff = w.findAll('[data-test="config-diff"] tbody tr').map((tr) => tr.findAll('td').map((td) => td.text()));
    expect(diff).toEqual([
      ['epochs', '12', '20'],
      ['name', 'sfp 40 long', 'psfp resumed'],
      ['prune.method', 'sfp', 'psfp'],
      ['prune.rate', '0.4', '0.3'],
      ['schedule.milestones', '[6,9]', '[10,15]'],
    ]);
    expect(w.findAll('[data-test="config-diff"] th').map((th) => th.text())).toEqual(['Field', 'sfp 40 long', 'psfp resumed']);
  });

  it('says when the configs are the same', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/compare/12,11',
      handlers: { 'train.curves': ({ jobIds }) => jobIds.map((id) => curves.find((c) => c.jobId === id)!), 'train.get': ({ jobId }) => detail(jobId, config()) },
    });
    expect(mounted.wrapper.find('[data-test="config-diff-none"]').exists()).toBe(true);
    expect(mounted.wrapper.find('[data-test="config-diff"]').exists()).toBe(false);
  });
});

describe('a training run page as a log entry', () => {
  it('titles the run by its name with the ids second, and edits its tags and notes', async () => {
    const annotations: unknown[] = [];
    mounted = await mountWithApi(App, {
      path: '/training/11',
      handlers: {
        ...formHandlers,
        'jobs.list': () => [job({ id: 11, kind: 'train.run', title: 'sfp 40 long', status: 'succeeded', parentJobId: 9 })],
        'train.get': ({ jobId }) => detail(jobId, config()),
        'jobs.metrics': () => [],
        'train.curves': () => [{ ...curves[1]!, jobId: 11, name: 'sfp 40 long' }],
        'train.runs': () => rows,
        'jobs.annotate': (req) => {
          annotations.push(req);
          return { id: 9, tags: req.tags ?? ['old'], notes: req.notes ?? 'first notes' };
        },
      },
    });
    const w = mounted.wrapper;
    expect(w.get('[data-test="run-title"]').text()).toBe('sfp 40 long');
    expect(w.get('[data-test="run-ids"]').text()).toBe('#9 → #11');
    // A finished run shows its curves across its jobs (jobs.metrics of this job alone is empty here).
    const loss = w.get('[data-test="metrics-charts"]').findComponent(UiChart).props('data') as { datasets: { label: string; data: unknown[] }[] };
    expect(loss.datasets[0]).toMatchObject({ label: 'batch_loss', data: [{ x: 0.5, y: 2.3 }, { x: 1, y: 2.0 }] });
    expect((w.get('[data-test="run-tags"]').element as HTMLInputElement).value).toBe('old');
    expect((w.get('[data-test="run-notes"]').element as HTMLTextAreaElement).value).toBe('first notes');
    await w.get('[data-test="run-tags"]').setValue('old, lr sweep ,, best');
    await w.get('[data-test="run-notes"]').setValue('masks every epoch');
    await w.get('[data-test="run-annotate-save"]').trigger('click');
    await flushPromises();
    expect(annotations.at(-1)).toEqual({ id: 11, tags: ['old', 'lr sweep', 'best'], notes: 'masks every epoch' });
    expect(w.find('[data-test="run-annotate-saved"]').exists()).toBe(true);
    // Compare with another run: the picker leaves this run out.
    const options = w.findAll('[data-test="compare-with"] option').map((o) => o.text());
    expect(options).toEqual(['Compare with…', 'sfp 40 long (#12)', 'baseline (#7)']);
    await w.get('[data-test="compare-with"]').setValue('7');
    await flushPromises();
    expect(mounted.router.currentRoute.value.path).toBe('/training/compare/11,7');
  });

  it('shows one curve across resumes, marking where it was resumed, with per-batch loss and lr', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/11',
      handlers: {
        ...formHandlers,
        'jobs.list': () => [job({ id: 11, kind: 'train.run', status: 'running', parentJobId: 9 })],
        'train.get': ({ jobId }) => detail(jobId, config(), 'running'),
        // This job's own points come from jobs.metrics (and live events); the earlier job's from train.curves.
        'jobs.metrics': () => [{ step: 4, epoch: 1.5, name: 'batch_loss', value: 1.5 }],
        'train.curves': () => [
          {
            jobId: 11,
            name: 'sfp 40 long',
            jobIds: [9, 11],
            resumes: [{ jobId: 11, epoch: 1 }],
            points: [
              { jobId: 9, step: 1, epoch: 0.5, name: 'batch_loss', value: 2.0 },
              { jobId: 9, step: 1, epoch: 0.5, name: 'batch_lr', value: 0.1 },
              { jobId: 11, step: 4, epoch: 1.5, name: 'batch_loss', value: 1.5 },
            ],
          },
        ],
      },
    });
    const w = mounted.wrapper;
    expect(w.get('[data-test="run-resumes"]').text()).toContain('job #11 resumed after epoch 1');
    const charts = w.get('[data-test="metrics-charts"]').findAllComponents(UiChart);
    const loss = charts[0]!.props('data') as { datasets: { label: string; data: { x: number; y: number }[] }[] };
    expect(loss.datasets[0]).toMatchObject({ label: 'batch_loss', data: [{ x: 0.5, y: 2.0 }, { x: 1.5, y: 1.5 }] });
    expect(loss.datasets[1]).toMatchObject({ label: 'resumed (#11)', data: [{ x: 1, y: 1.5 }, { x: 1, y: 2.0 }] });
    expect(w.findAll('[data-test="metrics-charts"] h3').map((h) => h.text())).toEqual(['Loss', 'Learning rate']);
    mounted.api.emit('job.metrics', { id: 11, points: [{ step: 5, epoch: 2, name: 'batch_loss', value: 1.2 }] });
    await flushPromises();
    const live = w.get('[data-test="metrics-charts"]').findAllComponents(UiChart)[0]!.props('data') as { datasets: { data: unknown[] }[] };
    expect(live.datasets[0]!.data).toHaveLength(3);
  });

  it('"Clone config" opens the new-run form filled in with the run\'s config, keeping what the form does not offer', async () => {
    mounted = await mountWithApi(App, {
      path: '/training/12',
      handlers: {
        ...formHandlers,
        'jobs.list': () => [job({ id: 12, kind: 'train.run', status: 'succeeded' })],
        'train.get': ({ jobId }) => detail(jobId, config({ epochs: 7, batchSize: 64, schedule: { kind: 'step', milestones: [3, 5], gamma: 0.2 } })),
        'jobs.metrics': () => [],
        'train.validateConfig': ({ config: c }) => ({ ok: true, config: c as never }),
        'jobs.submit': () => job({ id: 40, kind: 'train.run', status: 'queued', progress: null }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="clone-config"]').trigger('click');
    await flushPromises();
    expect(mounted.router.currentRoute.value.path).toBe('/training/new');
    const value = (t: string) => (w.get(`[data-test="${t}"]`).element as HTMLInputElement).value;
    expect(value('tr-epochs')).toBe('7');
    expect(value('tr-batch')).toBe('64');
    expect(value('tr-milestones')).toBe('3, 5');
    expect(value('tr-prune')).toBe('sfp');
    expect(value('tr-rate')).toBe('0.4');
    expect(value('tr-name')).toBe('sfp 40 long (clone)');
    expect(w.get('[data-test="cloned-from"]').text()).toContain('model.options.widthMultiplier = 0.5');
    // Defaults the schema fills in anyway are not listed.
    expect(w.get('[data-test="cloned-from"]').text()).not.toContain('evalBatchSize');
    await w.get('[data-test="tr-rate"]').setValue('0.5');
    await w.get('[data-test="train-form"]').trigger('submit');
    await flushPromises();
    const sent = mounted.api.callsOf('jobs.submit')[0] as { params: Record<string, unknown> };
    expect(sent.params).toMatchObject({
      name: 'sfp 40 long (clone)',
      epochs: 7,
      batchSize: 64,
      model: { arch: 'resnet20', options: { shortcut: 'A', widthMultiplier: 0.5 } },
      schedule: { kind: 'step', milestones: [3, 5], gamma: 0.2 },
      prune: { method: 'sfp', rate: 0.5 },
    });
    expect(mounted.router.currentRoute.value.path).toBe('/training/40');
  });
});

describe('the Runs page (every job)', () => {
  it('titles a job by its name first, the id second, and links a training run to its training page', async () => {
    mounted = await mountWithApi(App, {
      path: '/runs',
      handlers: { 'jobs.list': () => [job({ id: 12, kind: 'train.run', title: 'sfp 40 long', status: 'succeeded' })] },
    });
    const cells = mounted.wrapper.findAll('[data-test="runs-table"] tbody td').map((td) => td.text());
    expect(cells.slice(0, 2)).toEqual(['sfp 40 long', '12']);
    mounted.wrapper.unmount();
    mounted = await mountWithApi(App, {
      path: '/runs/12',
      handlers: {
        'jobs.list': () => [job({ id: 12, kind: 'train.run', title: 'sfp 40 long', status: 'succeeded' })],
        'jobs.get': () => ({ ...job({ id: 12, kind: 'train.run', title: 'sfp 40 long', status: 'succeeded' }), params: {}, result: null, logs: [] }),
        'jobs.metrics': () => [],
        'jobs.files': () => [],
      },
    });
    expect(mounted.wrapper.get('h1').text()).toBe('sfp 40 long');
    expect(mounted.wrapper.get('[data-test="open-training-run"]').attributes('href')).toBe('/training/12');
  });
});

describe('a form filled in from a run\'s params', () => {
  it('fills the fields the form has, keeps the rest that differs from the defaults, and keeps a list a one-value control cannot hold', () => {
    setActivePinia(createPinia());
    const cfg = config({ dataset: { id: 3, trainSplit: ['train', 'extra'], testSplit: null, validationFraction: 0.2 } as TrainConfig['dataset'] });
    const { values, kept } = valuesFromParams(trainForm(), cfg);
    expect(values).toMatchObject({ 'dataset.id': 3, 'dataset.testSplit': null, 'dataset.validationFraction': 0.2, epochs: 12, 'schedule.milestones': '6, 9', 'prune.method': 'sfp', 'prune.rate': 0.4 });
    expect(values).not.toHaveProperty('dataset.trainSplit');
    expect(kept).toEqual({ 'dataset.trainSplit': ['train', 'extra'], 'model.options.widthMultiplier': 0.5 });
  });
});
