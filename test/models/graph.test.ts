/** `models.graph`: every registry architecture as nodes and edges, and pruned widths of soft-pruned and compact models. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { modelCatalogue, type ModelGraph } from '../../src-main/common/contract/index.ts';
import { buildSpec } from '../../src-main/models/specs.ts';
import { graphOfSpec } from '../../src-main/models/graph-view.ts';
import { countCost } from '../../src-main/prune/flops.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { addWorkspaceModel } from './workspace-models.ts';

type Graph = Omit<ModelGraph, 'modelId' | 'name' | 'arch' | 'method'>;

/** Every edge's shapes agree: a node's inShapes are its inputs' outShapes, an add's two inputs match. */
function expectShapesChain(g: Graph): void {
  const byName = new Map(g.nodes.map((n, i) => [n.name, { n, i }]));
  g.nodes.forEach((n, i) => {
    n.inputs.forEach((input, k) => {
      const src = byName.get(input);
      expect(src, `${n.name} reads ${input}`).toBeDefined();
      expect(src!.i, `${input} comes before ${n.name}`).toBeLessThan(i);
      expect(n.inShapes[k]).toEqual(src!.n.outShape);
    });
    if (n.op === 'add') expect(n.inShapes[0]).toEqual(n.inShapes[1]);
    if (n.op === 'conv2d' || n.op === 'batchNorm') expect(n.inShapes[0]!.length).toBe(3);
  });
  expect(g.edges).toHaveLength(g.nodes.reduce((a, n) => a + n.inputs.length, 0));
}

describe('models.graph', () => {
  it.each(modelCatalogue.map((m) => [m.name, m] as const))('%s: nodes in order, shapes chain, params and MACs match the FLOPs counter', (name, m) => {
    const spec = buildSpec(name);
    const g = graphOfSpec(spec);
    const cost = countCost(spec);
    expect(g.nodes.map((n) => n.name)).toEqual(spec.nodes.map((n) => n.name));
    expectShapesChain(g);
    expect(g.params).toBe(cost.params);
    expect(g.macs).toBe(cost.macs);
    // One conv per layer of the depth minus the classifier (plus the downsample convs), one add per block.
    const convs = g.nodes.filter((n) => n.op === 'conv2d' && n.role !== 'downsample');
    expect(convs).toHaveLength(m.depth - 1);
    const blocks = m.family === 'cifar' ? ((m.depth - 2) / 6) * 3 : m.blocks.reduce((a, b) => a + b, 0);
    const adds = g.nodes.filter((n) => n.op === 'add');
    expect(adds).toHaveLength(blocks);
    expect(adds.every((a) => a.role === 'residual-add')).toBe(true);
    // Each addition's second input is the residual connection.
    for (const a of adds) {
      expect(g.edges.filter((e) => e.to === a.name).map((e) => e.kind)).toEqual(['data', 'residual']);
    }
    expect(g.nodes.at(-1)).toMatchObject({ op: 'dense', role: 'classifier', outShape: [spec.numClasses] });
    expect(g.nodes[0]).toMatchObject({ op: 'input', outShape: [spec.input.height, spec.input.width, spec.input.channels], stage: null });
    expect(g.nodes.find((n) => n.name.startsWith('stage2/'))!.stage).toBe('stage2');
    // An unpruned model: every conv at its original width, nothing flagged.
    expect(g.prunedConvs).toBe(0);
    expect(g.nodes.filter((n) => n.width).every((n) => n.width!.kept === n.width!.original)).toBe(true);
    // The shortcut path is marked (ImageNet ResNets: downsample conv + BN; CIFAR option A: the shortcut node).
    const downsampled = m.family === 'cifar' ? 2 : m.bottleneck ? 2 * 4 : 2 * 3;
    expect(g.nodes.filter((n) => n.shortcut)).toHaveLength(downsampled);
  });

  describe('through the contract, on stored models', () => {
    let core: WorkbenchCore;
    let cleanup: () => void;
    let soft: number;
    let compact: number;
    let baseline: number;

    beforeAll(async () => {
      await tf.setBackend('cpu');
      const t = tempDir();
      cleanup = t.cleanup;
      core = openCore({ workspaceDir: path.join(t.dir, 'ws') });
      const options = { inputSize: [8, 8] as [number, number], widthMultiplier: 0.5 };
      const model = createModel('resnet20', options, 1);
      baseline = await addWorkspaceModel(core.ctx.ws, model, { name: 'base' });
      applySfpMask(model, selectLayers(model.spec, 0.4));
      soft = await addWorkspaceModel(core.ctx.ws, model, { name: 'sfp', method: 'sfp', rate: 0.4, parentId: baseline });
      const { model: small } = compactModel(model);
      compact = await addWorkspaceModel(core.ctx.ws, small, { name: 'compact', method: 'compact', rate: 0.4, parentId: soft });
      disposeModel(model);
      disposeModel(small);
    });
    afterAll(async () => {
      await core.close();
      cleanup();
    });

    async function graph(id: number): Promise<ModelGraph> {
      const env = await core.dispatch('models.graph', { id });
      if (!env.ok) throw new Error(JSON.stringify(env));
      return env.result as ModelGraph;
    }

    it('a soft-pruned model: full widths, zeroed filters counted from the weights, their norms 0', async () => {
      const g = await graph(soft);
      expect(g.weightsRead).toBe(true);
      const conv1 = g.nodes.find((n) => n.name === 'stage1/block1/conv1')!;
      // 8 filters at width 0.5, 40% of them zeroed by the mask.
      expect(conv1.width).toMatchObject({ kept: 8, original: 8, pruned: true });
      expect(conv1.width!.zeroed).toBeGreaterThan(0);
      expect(conv1.filterNorms!.filter((v) => v === 0)).toHaveLength(conv1.width!.zeroed!);
      expect(g.prunedConvs).toBe(g.nodes.filter((n) => n.op === 'conv2d').length);
      const base = await graph(baseline);
      expect(base.prunedConvs).toBe(0);
      expect(base.nodes.find((n) => n.name === 'stage1/block1/conv1')!.width).toEqual({ kept: 8, original: 8, zeroed: 0, pruned: false });
    });

    it('a compact model: narrowed convs flagged with kept < original, params equal models.flops', async () => {
      const g = await graph(compact);
      const flops = await core.dispatch('models.flops', { id: compact });
      expect(flops).toMatchObject({ ok: true, result: { params: g.params, macs: g.macs } });
      const narrowed = g.nodes.filter((n) => n.width && n.width.kept < n.width.original);
      expect(narrowed.length).toBeGreaterThan(0);
      expect(narrowed.every((n) => n.width!.pruned && n.width!.zeroed === 0)).toBe(true);
      const conv1 = g.nodes.find((n) => n.name === 'stage1/block1/conv1')!;
      expect(conv1.width!.original).toBe(8);
      expect(conv1.width!.kept).toBeLessThan(8);
      expect(conv1.outShape[2]).toBe(conv1.width!.kept);
      expectShapesChain(g);
      expect(g.prunedConvs).toBe(narrowed.length);
    });

    it('workbench models graph <name> --json prints the same graph; the text form marks pruned convs', async () => {
      const expected = await graph(compact);
      await core.close();
      try {
        const r = await runWorkbench(['--workspace', core.ctx.ws.dir, '--json', 'models', 'graph', 'compact'], { timeoutMs: 60_000 });
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(expected);
        const text = await runWorkbench(['--workspace', core.ctx.ws.dir, 'models', 'graph', String(compact)], { timeoutMs: 60_000 });
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toMatch(/stage1\/block1\/conv1 .*\/8 \*/);
        expect(text.stdout).toContain(`${expected.prunedConvs} pruned convs`);
      } finally {
        core = openCore({ workspaceDir: core.ctx.ws.dir });
      }
    });

    it('refuses bad requests naming the field', async () => {
      expect(await core.dispatch('models.graph', { id: 9999 })).toMatchObject({ ok: false, error: { code: 'not_found', field: 'id' } });
      expect(await core.dispatch('models.graph', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'id' } });
      core.ctx.ws.db.prepare('UPDATE models SET spec = ? WHERE id = ?').run('{"format":"nope"}', baseline);
      expect(await core.dispatch('models.graph', { id: baseline })).toMatchObject({ ok: false, error: { code: 'failed', field: 'id' } });
    });
  });
});
