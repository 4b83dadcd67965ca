// @vitest-environment happy-dom
/** The model graph view (Pruning & Compare → Graph): boxes, edges, residual connections, collapsible stages, pruned widths, node details. */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import type { ModelGraph, ModelSummary } from '../../src-main/common/contract/index.ts';
import { buildSpec } from '../../src-main/models/specs.ts';
import { graphOfSpec } from '../../src-main/models/graph-view.ts';
import { modelCatalogue } from '../../src-main/common/contract/index.ts';
import { BOX_W, COLLAPSE_ABOVE, LANE, MARGIN, layoutGraph, stagesOf } from '../../src-renderer/src/compare/graph-layout.ts';
import type { GraphSpec } from '../../src-main/nn/graph.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

function graphOf(id: number, spec: GraphSpec, norms: Map<string, number[]> | null = null): ModelGraph {
  return { modelId: id, name: `model-${id}`, arch: spec.arch, method: null, ...graphOfSpec(spec, norms) };
}

/** ResNet-20 whose first block's conv1 keeps 10 of its 16 filters (what hard pruning leaves). */
function compactSpec(): GraphSpec {
  const spec = buildSpec('resnet20');
  for (const n of spec.nodes) {
    if (n.name === 'stage1/block1/conv1' && n.op === 'conv2d') n.filters = 10;
    if (n.name === 'stage1/block1/bn1' && n.op === 'batchNorm') n.channels = 10;
    if (n.name === 'stage1/block1/conv2' && n.op === 'conv2d') n.inChannels = 10;
  }
  return spec;
}

const summary = (id: number): ModelSummary => ({ id, name: `model-${id}`, arch: 'resnet20', method: null, rate: null, parentModelId: null, datasetId: null, jobId: null, dir: '', metrics: {}, createdAt: '' });
const node = (m: Mounted, name: string) => m.wrapper.find(`[data-test="graph-node-${name}"]`);

describe('graph layout', () => {
  it.each(modelCatalogue.map((m) => m.name))('%s: a row per node, the shortcut path in its own lane, a collapsed stage is one box', (name) => {
    const g = graphOf(1, buildSpec(name));
    const open = layoutGraph(g, new Set());
    expect(open.boxes).toHaveLength(g.nodes.length);
    expect(new Set(open.boxes.map((b) => b.y)).size).toBe(g.nodes.length);
    expect(open.boxes.filter((b) => b.x === MARGIN + LANE).map((b) => b.key)).toEqual(g.nodes.filter((n) => n.shortcut).map((n) => n.name));
    expect(open.edges).toHaveLength(g.edges.length);
    expect(open.boxes.every((b) => b.x + BOX_W <= open.width && b.y < open.height)).toBe(true);
    // Along a lane, an edge past rows of the other lane only (a shortcut box beside the main path) runs straight down; one past boxes of its own lane arcs around them.
    const row = new Map(open.boxes.map((b, i) => [b.key, i]));
    const spans = open.edges.map((e) => {
      const [a, b] = [open.boxes[row.get(e.from)!]!, open.boxes[row.get(e.to)!]!];
      const between = open.boxes.slice(row.get(e.from)! + 1, row.get(e.to)!);
      return { e, sameLane: a.x === b.x, clear: between.every((x) => x.x !== a.x), rows: row.get(e.to)! - row.get(e.from)! };
    });
    const straight = /^M([\d.]+),[\d.]+ L\1,[\d.]+$/;
    for (const s of spans.filter((x) => x.sameLane)) expect(straight.test(s.e.d), `${s.e.from} -> ${s.e.to}`).toBe(s.clear);
    if (g.nodes.some((n) => n.shortcut)) expect(spans.some((x) => x.sameLane && x.clear && x.rows > 1)).toBe(true);
    const stages = stagesOf(g);
    const closed = layoutGraph(g, new Set(stages));
    expect(closed.boxes).toHaveLength(g.nodes.filter((n) => !n.stage).length + stages.length);
    // Stages in a chain: each collapsed stage feeds the next (shortcut edges between them merge into one).
    for (let i = 1; i < stages.length; i++) expect(closed.edges.some((e) => e.from === `group:${stages[i - 1]}` && e.to === `group:${stages[i]}`)).toBe(true);
  });
});

describe('model graph view', () => {
  it('draws a compact ResNet-20: a box per node, edges with residual connections, the narrowed conv highlighted, details on click', async () => {
    const spec = compactSpec();
    const norms = new Map([['stage1/block1/conv2', Array.from({ length: 16 }, (_, i) => (i < 4 ? 0 : i / 16))]]);
    mounted = await mountWithApi(App, { path: '/compare', handlers: { 'models.list': () => [summary(7)], 'models.graph': ({ id }) => graphOf(id, spec, norms) } });
    await flushPromises();
    // Reached from the model list.
    await mounted.wrapper.get('[data-test="graph-7"]').trigger('click');
    await flushPromises();
    expect(mounted.router.currentRoute.value.fullPath).toBe('/compare/graph/7');
    expect(mounted.api.callsOf('models.graph')).toEqual([{ id: 7 }]);
    const m = mounted;
    // ResNet-20 is far below COLLAPSE_ABOVE: every node is a box, nothing collapsed.
    expect(m.wrapper.findAll('[data-test^="graph-node-"]')).toHaveLength(spec.nodes.length);
    expect(m.wrapper.findAll('[data-test^="graph-group-"]')).toHaveLength(0);
    expect(node(m, 'stage2/block1/conv1').text()).toContain('16x16x32');
    expect(node(m, 'stage2/block1/conv1').text()).toContain('conv 3x3');
    const edges = m.wrapper.findAll('[data-test="graph-edge"]');
    const graph = graphOf(7, spec, norms);
    expect(edges).toHaveLength(graph.edges.length);
    // Residual connections: the identity shortcut of stage1/block1 and the option-A shortcut of stage2/block1.
    const residual = edges.filter((e) => e.attributes('data-kind') === 'residual').map((e) => `${e.attributes('data-from')}->${e.attributes('data-to')}`);
    expect(residual).toContain('stem/relu->stage1/block1/add');
    expect(residual).toContain('stage1/block3/relu2->stage2/block1/shortcut');
    expect(residual).toContain('stage2/block1/shortcut->stage2/block1/add');
    expect(residual).toHaveLength(9 + 2);
    // Only the narrowed conv and the one with zeroed filters are highlighted, with kept/original widths.
    const pruned = m.wrapper.findAll('.box.pruned').map((b) => b.attributes('data-test'));
    expect(pruned).toEqual(['graph-node-stage1/block1/conv1', 'graph-node-stage1/block1/conv2']);
    expect(node(m, 'stage1/block1/conv1').get('[data-test="graph-width"]').text()).toBe('10/16');
    expect(node(m, 'stage1/block1/conv2').get('[data-test="graph-width"]').text()).toBe('16/16, 4 zero');
    expect(m.wrapper.get('[data-test="graph-summary"]').text()).toContain('2 pruned convs');
    // Details of a clicked node.
    await node(m, 'stage1/block1/conv2').trigger('click');
    const details = m.wrapper.get('[data-test="graph-details"]');
    expect(details.text()).toContain('stage1/block1/relu1 [32x32x10]');
    expect(details.text()).toContain('[32x32x16]');
    expect(details.text()).toContain(`(${3 * 3 * 10 * 16})`);
    expect(details.get('[data-test="graph-details-width"]').text()).toContain('16 of 16, 4 zeroed');
    expect(details.findAll('[data-test="graph-norms"] rect')).toHaveLength(16);
    expect(details.findAll('[data-test="graph-norms"] rect.zero')).toHaveLength(4);
  });

  it('collapses the stages of a deep net (ResNet-110) and expands one on demand', async () => {
    const spec = buildSpec('resnet110');
    mounted = await mountWithApi(App, { path: '/compare/graph/3', handlers: { 'models.list': () => [], 'models.graph': ({ id }) => graphOf(id, spec) } });
    await flushPromises();
    const m = mounted;
    expect(m.wrapper.findAll('[data-test^="graph-group-"]').map((g) => g.attributes('data-test'))).toEqual(['graph-group-stem', 'graph-group-stage1', 'graph-group-stage2', 'graph-group-stage3']);
    // input, the four groups, pool and classifier.
    expect(m.wrapper.findAll('[data-test^="graph-node-"]').map((g) => g.attributes('data-test'))).toEqual(['graph-node-input', 'graph-node-pool', 'graph-node-fc']);
    expect(m.wrapper.findAll('[data-test="graph-edge"]')).toHaveLength(6);
    await m.wrapper.get('[data-test="graph-group-stage2"]').trigger('click');
    const stage2 = spec.nodes.filter((n) => n.name.startsWith('stage2/'));
    expect(m.wrapper.findAll('[data-test^="graph-node-stage2/"]')).toHaveLength(stage2.length);
    expect(m.wrapper.find('[data-test="graph-group-stage2"]').exists()).toBe(false);
    // 18 blocks in the stage, each with its residual edge into the add.
    const residual = m.wrapper.findAll('[data-test="graph-edge"][data-kind="residual"]');
    expect(residual.filter((e) => e.attributes('data-to')!.startsWith('stage2/')).length).toBe(18 + 1);
    await m.wrapper.get('[data-test="graph-expand-all"]').trigger('click');
    expect(m.wrapper.findAll('[data-test^="graph-node-"]')).toHaveLength(spec.nodes.length);
    await m.wrapper.get('[data-test="graph-stage-stage3"]').trigger('click');
    expect(m.wrapper.find('[data-test="graph-group-stage3"]').exists()).toBe(true);
  });

  it('opens ResNet-56 expanded (a scrollable column of boxes); ResNet-110 collapsed', async () => {
    const spec = buildSpec('resnet56');
    expect(spec.nodes.length).toBeLessThanOrEqual(COLLAPSE_ABOVE);
    expect(buildSpec('resnet110').nodes.length).toBeGreaterThan(COLLAPSE_ABOVE);
    mounted = await mountWithApi(App, { path: '/compare/graph/4', handlers: { 'models.list': () => [], 'models.graph': ({ id }) => graphOf(id, spec) } });
    await flushPromises();
    expect(mounted.wrapper.findAll('[data-test^="graph-node-"]')).toHaveLength(spec.nodes.length);
    expect(mounted.wrapper.findAll('[data-test="graph-edge"][data-kind="residual"]')).toHaveLength(27 + 2);
    expect(mounted.wrapper.get('.canvas svg').attributes('height')).toBe(String(layoutGraph(graphOf(4, spec), new Set()).height));
    await mounted.wrapper.get('[data-test="graph-collapse-all"]').trigger('click');
    expect(mounted.wrapper.findAll('[data-test^="graph-group-"]')).toHaveLength(4);
  });

  it('shows a refusal from the host', async () => {
    const { ApiError } = await import('../../src-main/common/contract/errors.ts');
    mounted = await mountWithApi(App, {
      path: '/compare/graph/99',
      handlers: { 'models.list': () => [], 'models.graph': () => { throw new ApiError('not_found', 'Model 99 does not exist.', 'id'); } },
    });
    await flushPromises();
    expect(mounted.wrapper.text()).toContain('Model 99 does not exist.');
    expect(mounted.wrapper.find('[data-test="model-graph"]').exists()).toBe(false);
  });
});
