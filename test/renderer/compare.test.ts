// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import type { ComparedModel, FilterHistory, LatencyRecord, ModelComparison, ModelSummary } from '../../src-main/common/contract/index.ts';
import { cellsAt, normColor, regrownColor, regrownHue, revivedHue } from '../../src-renderer/src/compare/filter-heatmap.ts';
import { comparisonCsv } from '../../src-renderer/src/compare/compare-csv.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';
import { accuracyAxisRange } from '../../src-renderer/src/compare/accuracy-axis.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const model = (id: number, name: string, method: string | null): ModelSummary => ({
  id, name, arch: 'resnet20', method, rate: method ? 0.3 : null, parentModelId: method ? 1 : null, datasetId: 3, jobId: id * 10, dir: '', metrics: { accuracy: 0.9 }, createdAt: '',
});
const compared = (id: number, name: string, method: string | null, flops: number): ComparedModel => ({
  id, name, arch: 'resnet20', method, rate: method ? 0.3 : null, accuracy: 0.91 - id * 0.01, accuracyBnRecalibrated: null, flops, paperFlops: null, flopsReduction: method ? 0.42 : 0, paperFlopsReduction: method ? 0.421 : null,
  params: 270_000, zeroFilters: method ? 120 : 0, latency: null, compactSpeedup: null, sizeBytes: 1_100_000, datasetId: 3, jobId: id * 10, parentModelId: method ? 1 : null, createdAt: '',
});
const comparison: ModelComparison = {
  models: [compared(1, 'baseline', null, 41_000_000), compared(2, 'sfp-30', 'sfp', 24_000_000)],
  scatter: { accuracyVsFlops: [{ modelId: 1, label: 'baseline', x: 41e6, y: 0.9 }, { modelId: 2, label: 'sfp-30', x: 24e6, y: 0.89 }], accuracyVsLatency: [] },
  layers: [{ layer: 'stage1/block0/conv1', role: 'block-conv', filters: { '1': 16, '2': 16 }, zeroFilters: { '1': 0, '2': 5 } }],
  lineage: { '1': [{ modelId: 1, name: 'baseline', method: null, rate: null, dataset: { id: 3, name: 'cifar10' }, job: null }], '2': [{ modelId: 2, name: 'sfp-30', method: 'sfp', rate: 0.3, dataset: null, job: { id: 20, kind: 'train.run', title: 't', status: 'succeeded' } }, { modelId: 1, name: 'baseline', method: null, rate: null, dataset: null, job: null }] },
};

describe('compare models', () => {
  it('compares the selected models: table, per-layer filters, lineage; export queues a job', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => [model(1, 'baseline', null), model(2, 'sfp-30', 'sfp')],
        'models.compare': () => comparison,
        'models.export': ({ modelId }) => job({ id: 77, kind: 'models.export', title: `Export model ${modelId}`, status: 'queued' }),
      },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="compare-run"]').attributes('disabled')).toBeDefined();
    await mounted.wrapper.get('[data-test="pick-1"]').setValue(true);
    // One model is enough to show (and compact or export) it.
    expect(mounted.wrapper.get('[data-test="compare-run"]').attributes('disabled')).toBeUndefined();
    expect(mounted.wrapper.get('[data-test="compare-run"]').text()).toBe('Show 1 model');
    await mounted.wrapper.get('[data-test="pick-2"]').setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('models.compare')).toEqual([{ ids: [1, 2] }]);
    const rows = mounted.wrapper.findAll('[data-test="compare-table"] tbody tr');
    expect(rows.map((r) => r.find('td').text())).toEqual(['baselineresnet20', 'sfp-30resnet20']);
    expect(rows[1]!.text()).toContain('42.0%');
    // Names are cut with an ellipsis, the full name in the tooltip, in the sticky first column.
    expect(rows.map((r) => r.get('[data-test="model-name"]').attributes('title'))).toEqual(['baseline', 'sfp-30']);
    expect(rows.every((r) => r.find('td').classes('model-col'))).toBe(true);
    expect(mounted.wrapper.get('[data-test="compare-table"] thead th').classes()).toContain('model-col');
    expect(mounted.wrapper.get('[data-test="compare-layers"]').text()).toContain('(5 zero)');
    expect(mounted.wrapper.get('[data-test="compare-lineage"]').text()).toContain('job #20');
    // Each compared model opens its graph.
    expect(mounted.wrapper.get('[data-test="compare-graph-2"]').attributes('href')).toContain('/compare/graph/2');
    await mounted.wrapper.get('[data-test="export-onnx-2"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('models.export')).toEqual([{ modelId: 2, format: 'onnx' }]);
    expect(mounted.wrapper.get('[role="status"]').text()).toContain('Queued #77');
  });

  it('compares all of a sweep\'s models in one choice (the members asked by sweep, other models left out)', async () => {
    const member = (id: number, sweepId: string | null) => job({ id, kind: 'train.run', status: 'succeeded', progress: null, sweepId });
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        // Models 2 and 3 come from sweep sw-a's jobs 20 and 30 (jobId = id * 10); model 1 from a lone job.
        'models.list': () => [model(1, 'baseline', null), model(2, 'sfp-20', 'sfp'), model(3, 'sfp-30', 'sfp'), model(4, 'sfp-40', 'sfp')],
        'jobs.list': (req) => (req.sweepId === 'sw-a' ? [member(20, 'sw-a'), member(30, 'sw-a')] : req.sweepId === 'sw-b' ? [member(40, 'sw-b')] : [member(40, 'sw-b'), member(30, 'sw-a'), member(20, 'sw-a'), member(10, null)]),
        'models.compare': () => comparison,
      },
    });
    await flushPromises();
    const select = mounted.wrapper.get('[data-test="compare-sweep"]');
    expect(select.findAll('option').map((o) => o.text())).toEqual(['—', 'Sweep sw-b', 'Sweep sw-a']);
    await select.setValue('sw-a');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.list')).toContainEqual({ sweepId: 'sw-a', limit: 1000 });
    expect(mounted.api.callsOf('models.compare')).toEqual([{ ids: [2, 3] }]);
    expect((mounted.wrapper.get('[data-test="pick-2"]').element as HTMLInputElement).checked).toBe(true);
    expect((mounted.wrapper.get('[data-test="pick-1"]').element as HTMLInputElement).checked).toBe(false);
    expect(mounted.wrapper.findAll('[data-test="compare-table"] tbody tr')).toHaveLength(2);
    // A sweep with one model so far says so instead of comparing.
    await select.setValue('sw-b');
    await flushPromises();
    expect(mounted.api.callsOf('models.compare')).toHaveLength(1);
    expect(mounted.wrapper.get('[data-test="compare-sweep-note"]').text()).toBe('Sweep sw-b has one model yet (1 job).');
  });

  it('compacts a soft-pruned model from the comparison (only models with zeroed filters offer it)', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => [model(1, 'baseline', null), model(2, 'sfp-30', 'sfp')],
        'models.compare': () => comparison,
        'jobs.submit': ({ kind }) => job({ id: 78, kind, title: 'Compact model 2 (remove zeroed filters)', status: 'queued' }),
      },
    });
    await flushPromises();
    await mounted.wrapper.get('[data-test="pick-1"]').setValue(true);
    await mounted.wrapper.get('[data-test="pick-2"]').setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="compact-1"]').exists()).toBe(false);
    await mounted.wrapper.get('[data-test="compact-2"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.submit')).toEqual([{ kind: 'models.compact', params: { modelId: 2 } }]);
    expect(mounted.wrapper.get('[role="status"]').text()).toContain('Queued #78');
    // Widths rounded to multiples of 8 (for ONNX Runtime) go with the job.
    await mounted.wrapper.get('[data-test="compact-align"]').setValue('8');
    await mounted.wrapper.get('[data-test="compact-2"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.submit').at(-1)).toEqual({ kind: 'models.compact', params: { modelId: 2, align: 8 } });
  });

  it('imports a model folder as a job, showing a bad path next to the field', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => [],
        'models.import': ({ path }) => {
          if (path === '/nope') throw new ApiError('not_found', 'No model.json in /nope', 'path');
          return job({ id: 12, kind: 'models.import', status: 'queued', progress: null });
        },
      },
    });
    await flushPromises();
    await mounted.wrapper.get('[data-test="model-import-open"]').trigger('click');
    await mounted.wrapper.get('#model-path').setValue('/nope');
    await mounted.wrapper.get('[data-test="model-import"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#model-path-error').text()).toBe('No model.json in /nope');
    await mounted.wrapper.get('#model-path').setValue('/models/resnet20');
    await mounted.wrapper.get('[data-test="model-import"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('models.import').at(-1)).toEqual({ path: '/models/resnet20' });
    expect(mounted.wrapper.get('[data-test="model-import"] [role="status"]').text()).toContain('Queued #12');
  });

  const stats = (meanMs: number, batch: number) => ({ warmup: 3, runs: 10, meanMs, stdMs: 0.1, minMs: meanMs, medianMs: meanMs, p90Ms: meanMs, maxMs: meanMs, imagesPerSecond: (batch * 1000) / meanMs });
  const timed: LatencyRecord = { measuredAt: '', jobId: 5, engine: 'wasm', inputSize: [32, 32, 3], tfjs: { '32': stats(21.2, 32), '1': stats(2.9, 1) } };

  it('writes the comparison as CSV with quoted names and both measured batch sizes', () => {
    const csv = comparisonCsv([{ ...comparison.models[0]!, name: 'base, v2' }, { ...comparison.models[1]!, latency: timed, compactSpeedup: { speedup: 1.26, batch: 32, latencyMs: 16, parentLatencyMs: 20.2 } }]);
    const [header, first, second] = csv.split('\n');
    expect(header).toMatch(/^id,name,arch,method,rate,accuracy,flops/);
    expect(header).toContain(',latency_ms_batch1,latency_batch,latency_ms_batch,compact_speedup,size_bytes');
    expect(first).toMatch(/^1,"base, v2",resnet20,,,0.9/);
    expect(first).toMatch(/,,,,,1100000$/);
    expect(second).toMatch(/,2\.9,32,21\.2,1\.26,1100000$/);
  });

  it('shows batch-1 and large-batch latency, a compact model\'s measured speed-up, and Measure where none was taken', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare',
      handlers: {
        'models.list': () => [model(1, 'baseline', null), model(2, 'sfp-30', 'sfp')],
        'models.compare': () => ({
          ...comparison,
          models: [comparison.models[0]!, { ...comparison.models[1]!, latency: timed, compactSpeedup: { speedup: 1.26, batch: 32, latencyMs: 16, parentLatencyMs: 20.2 } }],
        }),
      },
    });
    await flushPromises();
    await mounted.wrapper.get('[data-test="pick-1"]').setValue(true);
    await mounted.wrapper.get('[data-test="pick-2"]').setValue(true);
    await mounted.wrapper.get('[data-test="compare-run"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="latency-1"]').text()).toBe('Measure');
    const cells = mounted.wrapper.findAll('[data-test="latency-2"] div').map((d) => d.text().replace(/\s+/g, ' '));
    expect(cells.slice(0, 2)).toEqual(['2.90 ms b=1', '21.20 ms b=32']);
    // A compact model also shows what its compact job measured against the soft-pruned parent.
    expect(mounted.wrapper.get('[data-test="speedup-2"]').text()).toBe('x1.26 vs parent (b=32)');
    expect(mounted.wrapper.find('[data-test="speedup-1"]').exists()).toBe(false);
  });
});

describe('filter heatmap', () => {
  const history: FilterHistory = {
    jobId: 20,
    epochs: [1, 2, 3],
    layers: [
      { name: 'conv1', role: 'stem', filters: 3, norms: [[1, 2, 4], [0.5, 2, 4], [1.5, 2, 0]], masks: [[true, false, false], [true, false, false], [false, false, true]], regrown: [[false, false, false], [false, false, false], [true, false, false]] },
    ],
  };

  it('marks zeroed filters, the ones that came back after being zeroed, and the ones that regrew since the last masking', () => {
    expect(cellsAt(history, 0)).toMatchObject({ zeroed: 1, revived: 0, regrown: 0, state: [['zeroed', 'kept', 'kept']] });
    // Epoch index 1: filter 0 was zeroed at the previous masking but is still small (0.5): zeroed, not regrown.
    expect(cellsAt(history, 1)).toMatchObject({ zeroed: 1, regrown: 0, state: [['zeroed', 'kept', 'kept']] });
    const last = cellsAt(history, 2);
    expect(last.state).toEqual([['regrown', 'kept', 'zeroed']]);
    expect(last.rezeroed).toEqual([[false, false, false]]);
    expect(last.relative[0]).toEqual([0.75, 1, 0]);
    expect([last.zeroed, last.revived, last.regrown]).toEqual([1, 1, 1]);
    // A regrown filter zeroed again by this masking stays regrown (drawn with a dark centre) and counts as zeroed.
    const again: FilterHistory = { ...history, layers: [{ ...history.layers[0]!, masks: [...history.layers[0]!.masks.slice(0, 2), [true, false, false]] }] };
    expect(cellsAt(again, 2)).toMatchObject({ state: [['regrown', 'kept', 'kept']], rezeroed: [[true, false, false]], zeroed: 1, regrown: 1 });
  });

  it('draws regrown cells in their own colour, apart from the norm ramp and the came-back cells', async () => {
    const fills: { style: string; x: number; y: number }[] = [];
    const ctx2d = {
      fillStyle: '',
      strokeStyle: '',
      lineWidth: 1,
      font: '',
      textBaseline: '',
      setTransform: () => undefined,
      clearRect: () => undefined,
      fillText: () => undefined,
      strokeRect: () => undefined,
      fillRect(x: number, y: number) {
        fills.push({ style: this.fillStyle, x, y });
      },
    };
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = (() => ctx2d) as unknown as typeof original;
    try {
      mounted = await mountWithApi(App, {
        path: '/compare/heatmap/20',
        handlers: { 'jobs.list': () => [job({ id: 20, kind: 'train.run' })], 'train.filterHistory': () => history },
      });
      await flushPromises();
      expect(mounted.wrapper.get('[data-test="heatmap-regrown"]').text()).toBe('1 regrew since the last masking');
      // Last masking: filter 0 regrown (red), filter 1 kept (norm ramp), filter 2 zeroed (dark).
      // (The map is drawn again whenever the shown epoch changes: the last three cells are the last drawing.)
      const cells = fills.filter((f) => f.x >= 190).slice(-3);
      expect(cells.map((f) => f.style)).toEqual([regrownColor, normColor(1), '#1b1f24']);
      expect(mounted.wrapper.text()).toContain('regrew (zeroed at the last masking, large now)');
      fills.length = 0;
      await mounted.wrapper.get('[data-test="heatmap-epoch"]').setValue('1');
      await flushPromises();
      expect(fills.filter((f) => f.x >= 190).slice(-3).map((f) => f.style)).toEqual(['#1b1f24', normColor(0.5), normColor(1)]);
      expect(mounted.wrapper.get('[data-test="heatmap-regrown"]').text()).toBe('0 regrew since the last masking');
    } finally {
      HTMLCanvasElement.prototype.getContext = original;
    }
    for (const k of [0, 0.5, 1]) expect(Math.abs(Number(normColor(k).match(/^hsl\((\d+)/)![1]) - regrownHue)).toBeGreaterThan(60);
    expect(Math.abs(regrownHue - revivedHue)).toBeGreaterThan(60);
  });

  it('colours kept filters weak to strong without passing the hue of the came-back cells', () => {
    const ramp = Array.from({ length: 21 }, (_, k) => normColor(k / 20));
    const parsed = ramp.map((c) => c.match(/^hsl\((\d+), \d+%, (\d+)%\)$/)!.slice(1).map(Number) as [number, number]);
    for (const [hue] of parsed) expect(Math.abs(hue - revivedHue)).toBeGreaterThan(60);
    const lightness = parsed.map(([, l]) => l);
    expect(lightness).toEqual([...lightness].sort((a, b) => b - a));
    expect(lightness[0]! - lightness.at(-1)!).toBeGreaterThan(40);
  });

  it('shows the last masking epoch of the chosen run and moves with the slider', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare/heatmap/20',
      handlers: { 'jobs.list': () => [job({ id: 20, kind: 'train.run' })], 'train.filterHistory': () => history },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="heatmap-summary"]').text()).toBe('1 zeroed · 1 came back after being zeroed · 1 regrew since the last masking');
    await mounted.wrapper.get('[data-test="heatmap-epoch"]').setValue('0');
    expect(mounted.wrapper.get('[data-test="heatmap-summary"]').text()).toBe('1 zeroed · 0 came back after being zeroed · 0 regrew since the last masking');
  });

  it('lists only the runs that pruned (SFP/PSFP), not baselines or fine-tuning', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare/heatmap/20',
      handlers: {
        'jobs.list': () => [
          job({ id: 20, kind: 'train.run', title: 'Train resnet20 SFP 30% on dataset 3, 10 epochs' }),
          job({ id: 21, kind: 'train.run', title: 'Train resnet20 on dataset 3, 10 epochs' }),
          job({ id: 22, kind: 'train.run', title: 'Train model 1 PSFP 40% on dataset 3, 2 epochs' }),
          job({ id: 23, kind: 'train.run', title: 'Train model 1 fine-tune on dataset 3, 2 epochs' }),
          job({ id: 24, kind: 'train.run', title: 'Train resnet56 on dataset 3, 5 epochs' }),
          job({ id: 25, kind: 'models.export', title: 'Export SFP model' }),
        ],
        // A finished pruning run is known by its model's method whatever its title says.
        'models.list': () => [model(24, 'resnet56 sfp', 'sfp'), model(21, 'baseline', null)].map((m) => ({ ...m, jobId: m.id })),
        'train.filterHistory': () => history,
      },
    });
    await flushPromises();
    const options = mounted.wrapper.findAll('[data-test="heatmap-run"] option').filter((o) => o.attributes('value'));
    expect(options.map((o) => o.attributes('value'))).toEqual(['20', '22', '24']);
  });

  it('says so when the chosen run did not prune instead of drawing an empty map', async () => {
    mounted = await mountWithApi(App, {
      path: '/compare/heatmap/21',
      handlers: { 'jobs.list': () => [job({ id: 21, kind: 'train.run' })], 'train.filterHistory': () => ({ jobId: 21, epochs: [], layers: [] }) },
    });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="heatmap-no-pruning"]').text()).toContain('did not prune');
    expect(mounted.wrapper.find('[data-test="heatmap-canvas"]').exists()).toBe(false);
    expect(mounted.wrapper.find('[data-test="heatmap-epoch"]').exists()).toBe(false);
  });

  it.each([
    ['one model at 0%', [0], { min: 0, max: 2 }],
    ['models near the top', [91.3, 99.5], { min: 89, max: 100 }],
    ['spread', [40.2, 60.7], { min: 38, max: 63 }],
    ['no model', [], {}],
  ])('keeps the accuracy axis between 0%% and 100%% around the points: %s', (_name, ys, range) => {
    expect(accuracyAxisRange(ys)).toEqual(range);
  });
});
