import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { Workspace } from '../../src-main/core/workspace.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { ModelComparison } from '../../src-main/common/contract/models.ts';
import { createModel, buildSpec } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { countCost } from '../../src-main/prune/flops.ts';
import { compareModels } from '../../src-main/models/compare.ts';
import { createRuntime } from '../../src-main/hosts/cli/runtime.ts';
import { registerExportCommands, formatComparison } from '../../src-main/hosts/cli/commands/export.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { addWorkspaceModel } from './workspace-models.ts';

describe('model comparison', () => {
  let ws: Workspace;
  let cleanup: () => void;
  let wsDir: string;
  const ids = { base: 0, masked: 0, compact: 0 };
  const specs: Record<keyof typeof ids, ReturnType<typeof buildSpec>> = {} as never;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const t = tempDir();
    cleanup = t.cleanup;
    wsDir = t.dir;
    ws = Workspace.open(t.dir);
    const datasetId = Number(ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('cifar10-test', 'cifar10', '/data')").run().lastInsertRowid);
    const jobId = Number(
      ws.db.prepare("INSERT INTO jobs (kind, title, status, params) VALUES ('train.sfp', 'SFP ResNet-20 30%', 'succeeded', '{}')").run().lastInsertRowid,
    );
    // The paper's setting: CIFAR ResNet-20 at 32x32, 30% of the filters of every conv.
    const base = createModel('resnet20', {}, 1);
    const latency = { measuredAt: '2026-01-01T00:00:00Z', jobId, engine: 'cpu (CPU, 1 thread)', inputSize: [32, 32, 3], tfjs: { '1': { meanMs: 12.5, stdMs: 0.5 } } };
    ids.base = await addWorkspaceModel(ws, base, { name: 'resnet20-base', method: 'baseline', datasetId, metrics: { accuracy: 0.9220, latency } });
    applySfpMask(base, selectLayers(base.spec, 0.3));
    ids.masked = await addWorkspaceModel(ws, base, { name: 'resnet20-sfp30', method: 'sfp', rate: 0.3, parentId: ids.base, datasetId, jobId, metrics: { accuracyBnRecalibrated: 0.9012 } });
    const compact = compactModel(base).model;
    ids.compact = await addWorkspaceModel(ws, compact, { name: 'resnet20-sfp30-compact', method: 'compact', rate: 0.3, parentId: ids.masked, metrics: { accuracy: 90.83, speedup: 1.25, latencyBatch: 32, latencyMs: 16, parentLatencyMs: 20 } });
    specs.base = base.spec;
    specs.masked = base.spec;
    specs.compact = compact.spec;
    disposeModel(base);
    disposeModel(compact);
  });
  afterAll(() => {
    ws.close();
    cleanup();
  });

  it('reports FLOPs and params exactly as the shared cost counter does', () => {
    const c = compareModels(ws, [ids.base, ids.masked, ids.compact]);
    expect(c.models.map((m) => m.id)).toEqual([ids.base, ids.masked, ids.compact]);
    for (const [key, m] of [['base', c.models[0]!], ['masked', c.models[1]!], ['compact', c.models[2]!]] as const) {
      const cost = countCost(specs[key]);
      expect(m.flops).toBe(cost.macs);
      expect(m.params).toBe(cost.params);
    }
    const [base, masked, compact] = c.models as [ModelComparison['models'][number], ModelComparison['models'][number], ModelComparison['models'][number]];
    // Soft pruning leaves the architecture (and its real cost) as it was; hard pruning shrinks it.
    expect(masked.flops).toBe(base.flops);
    expect(masked.flopsReduction).toBe(0);
    expect(compact.flops).toBeLessThan(base.flops);
    expect(compact.flopsReduction).toBeCloseTo(1 - compact.flops / base.flops, 12);
    expect(compact.params).toBeLessThan(base.params);
    // What the compact job measured comes with the compact model only.
    expect(compact.compactSpeedup).toEqual({ speedup: 1.25, batch: 32, latencyMs: 16, parentLatencyMs: 20 });
    expect([base.compactSpeedup, masked.compactSpeedup]).toEqual([null, null]);
  });

  it('gives the SFP paper figures for ResNet-20 (4.06e7 MACs, -42.2% at 30%)', () => {
    const c = compareModels(ws, [ids.base, ids.compact]);
    expect(c.models[0]!.paperFlops! / 4.06e7).toBeCloseTo(1, 2);
    expect(c.models[0]!.paperFlopsReduction).toBe(0);
    expect(c.models[1]!.paperFlopsReduction!).toBeCloseTo(0.422, 3);
  });

  it('lists filters per layer side by side, with the soft-pruned zeros', () => {
    const c = compareModels(ws, [ids.base, ids.masked, ids.compact]);
    const layer = c.layers.find((l) => l.layer === 'stage1/block1/conv1')!;
    // 16 filters, floor(16 * 0.3) = 4 zeroed by SFP, removed by hard pruning.
    expect(layer.filters).toEqual({ [ids.base]: 16, [ids.masked]: 16, [ids.compact]: 12 });
    expect(layer.zeroFilters).toEqual({ [ids.base]: 0, [ids.masked]: 4, [ids.compact]: 0 });
    expect(c.layers.map((l) => l.layer)).toEqual(specs.base.nodes.filter((n) => n.op === 'conv2d').map((n) => n.name));
    expect(c.models[1]!.zeroFilters).toBe(c.layers.reduce((a, l) => a + l.zeroFilters[ids.masked]!, 0));
  });

  it('builds scatter data from accuracy (percentages normalised) and batch-1 latency, and the lineage chain', () => {
    const c = compareModels(ws, [ids.base, ids.masked, ids.compact]);
    expect(c.models.map((m) => m.accuracy)).toEqual([0.922, null, 0.9083]);
    // Only the soft-pruned run measured its accuracy with BatchNorm re-estimated; the compact model does not inherit it.
    expect(c.models.map((m) => m.accuracyBnRecalibrated)).toEqual([null, 0.9012, null]);
    expect(c.scatter.accuracyVsFlops.map((p) => [p.modelId, p.y])).toEqual([
      [ids.base, 0.922],
      [ids.compact, 0.9083],
    ]);
    expect(c.scatter.accuracyVsLatency).toEqual([{ modelId: ids.base, label: 'resnet20-base', x: 12.5, y: 0.922 }]);
    expect(c.lineage[String(ids.compact)]!.map((s) => s.modelId)).toEqual([ids.compact, ids.masked, ids.base]);
    expect(c.lineage[String(ids.masked)]![0]).toMatchObject({ dataset: { name: 'cifar10-test' }, job: { kind: 'train.sfp', status: 'succeeded' } });
    const dir = path.join(ws.artifactsDir, 'models', 'resnet20-base');
    expect(c.models[0]!.sizeBytes).toBe(statSync(path.join(dir, 'model.json')).size + statSync(path.join(dir, 'weights.bin')).size);
  });

  it('shows one model alone, refuses none and unknown ids, naming the field', () => {
    // The same id twice is one model, shown once.
    expect(compareModels(ws, [ids.base, ids.base]).models.map((m) => m.id)).toEqual([ids.base]);
    expect(() => compareModels(ws, [])).toThrow(/at least one model/);
    try {
      compareModels(ws, [ids.base, 999]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('not_found');
      expect((err as ApiError).field).toBe('ids.1');
    }
  });

  it('`models compare` prints the same comparison as JSON, and a readable table otherwise', async () => {
    ws.close();
    const { runtime, core } = createRuntime({ workspace: wsDir, json: true });
    const program = new Command('workbench').exitOverride();
    registerExportCommands(program, async () => runtime);
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (lines.push(chunk), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['models', 'compare', String(ids.base), String(ids.compact)], { from: 'user' });
    } finally {
      process.stdout.write = write;
      await core?.close();
      ws = Workspace.open(wsDir);
    }
    const printed = JSON.parse(lines.join('')) as ModelComparison;
    expect(printed).toEqual(JSON.parse(JSON.stringify(compareModels(ws, [ids.base, ids.compact]))));
    const text = formatComparison(printed);
    expect(text).toMatch(/resnet20-base\s+resnet20\s+baseline/);
    expect(text).toMatch(/stage1\/block1\/conv1\s+block-conv\s+16\s+12/);
    expect(text).toMatch(/#\d+ resnet20-sfp30-compact \(compact, rate 0.3\) <- #\d+ resnet20-sfp30/);
  });
});
