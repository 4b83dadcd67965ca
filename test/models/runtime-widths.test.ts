/**
 * The ONNX exporter's width rewrites of hard-pruned graphs (src-main/models/export/onnx/runtime-widths.ts):
 * constant inputs become a ones channel and narrow widths are padded to a multiple; the rewritten
 * graph computes what the compact one does (both through the workbench's own forward pass), and
 * ONNX Runtime's optimizer turns the compact export into a graph no bigger than the parent's
 * (no map Adds, no layout reorders around odd widths).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { useCpu } from './tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward, type Model } from '../../src-main/nn/forward.ts';
import { disposeModel, modelFromTensors } from '../../src-main/nn/init.ts';
import { expectedWeights, inferShapes } from '../../src-main/nn/graph.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { readWeightValues } from '../../src-main/models/export/model-weights.ts';
import { widenScatters } from '../../src-main/models/export/onnx/widen-scatters.ts';
import { runtimeWidths } from '../../src-main/models/export/onnx/runtime-widths.ts';
import { graphToOnnx } from '../../src-main/models/export/onnx/graph-to-onnx.ts';
import { ModelProto } from '../../src-main/models/export/onnx/onnx-schema.ts';
import { randomiseNonConvWeights } from './helpers.ts';

function compactOf(name: 'resnet20' | 'resnet18', inputSize: [number, number]): { masked: Model; compact: Model } {
  const masked = createModel(name, name === 'resnet20' ? { inputSize } : { inputSize, widthMultiplier: 0.25 }, 5);
  randomiseNonConvWeights(masked, 3);
  applySfpMask(masked, selectLayers(masked.spec, 0.3));
  return { masked, compact: compactModel(masked).model };
}

function relativeDiff(a: Model, b: Model): number {
  const [h, w] = [a.spec.input.height, a.spec.input.width];
  return tf.tidy(() => {
    const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const ya = forward(a, x, { training: false }).logits;
    const yb = forward(b, x, { training: false }).logits;
    return tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]! / tf.max(tf.abs(ya)).dataSync()[0]!;
  });
}

describe('runtimeWidths', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it.each([
    ['resnet20', 1],
    ['resnet20', 8],
    ['resnet20', 16],
    // No block alignment at all (ort-stage-profile.ts's per-stage variants use such widths).
    ['resnet20', 25],
    ['resnet18', 8],
  ] as const)('%s compact, multiple %i: no constant input left, widths aligned, same outputs', async (name, multiple) => {
    const { masked, compact } = compactOf(name, name === 'resnet20' ? [8, 8] : [32, 32]);
    const readers = compact.spec.nodes.filter((n) => n.op === 'conv2d' && n.constInput).length;
    expect(readers).toBeGreaterThan(0);
    const widened = widenScatters(compact.spec, await readWeightValues(compact));
    const { spec, weights } = runtimeWidths(widened.spec, widened.weights, { channelMultiple: multiple });
    expect(spec.nodes.filter((n) => n.op === 'conv2d' && n.constInput)).toHaveLength(0);
    expect(spec.nodes).toHaveLength(widened.spec.nodes.length);
    expect(() => inferShapes(spec)).not.toThrow();
    // Every conv that compaction narrowed (its BN feeds, through ReLU, only convs) now has an aligned width.
    for (const n of spec.nodes) {
      if (n.op !== 'conv2d') continue;
      const original = widened.spec.nodes.find((m) => m.name === n.name);
      if (original?.op !== 'conv2d' || original.filters === n.filters) continue;
      expect(n.filters % multiple, n.name).toBe(0);
      expect(n.filters).toBeLessThan(original.filters + multiple + 1);
    }
    const shapes = new Map(expectedWeights(spec).map((i) => [i.name, i.shape]));
    expect([...weights.keys()].sort()).toEqual([...shapes.keys()].sort());
    const tensors = new Map([...weights].map(([k, v]) => [k, tf.tensor(v, shapes.get(k))]));
    const rewritten = modelFromTensors(spec, tensors);
    tf.dispose([...tensors.values()]);
    expect(relativeDiff(compact, rewritten)).toBeLessThan(1e-5);
    [masked, compact, rewritten].forEach(disposeModel);
  });

  it('rewrites only the chains whose conv the predicate accepts (resnet20: stage 3)', async () => {
    const { masked, compact } = compactOf('resnet20', [8, 8]);
    const values = await readWeightValues(compact);
    const { spec, weights } = runtimeWidths(compact.spec, values, { channelMultiple: 16, only: (conv) => conv.name.startsWith('stage3/') });
    const changed = spec.nodes.filter((n, i) => JSON.stringify(n) !== JSON.stringify(compact.spec.nodes[i])).map((n) => n.name);
    expect(changed.length).toBeGreaterThan(0);
    // A chain is the conv, its BN and its readers: all inside stage 3 here.
    expect(changed.every((n) => n.startsWith('stage3/'))).toBe(true);
    for (const n of spec.nodes) if (n.op === 'conv2d' && n.name.startsWith('stage3/') && n.name.endsWith('conv1')) expect(n.filters % 16, n.name).toBe(0);
    expect(spec.nodes.filter((n) => n.op === 'conv2d' && n.constInput).every((n) => !n.name.startsWith('stage3/') || n.name.endsWith('conv1'))).toBe(true);
    const shapes = new Map(expectedWeights(spec).map((i) => [i.name, i.shape]));
    const tensors = new Map([...weights].map(([k, v]) => [k, tf.tensor(v, shapes.get(k))]));
    const rewritten = modelFromTensors(spec, tensors);
    tf.dispose([...tensors.values()]);
    expect(relativeDiff(masked, rewritten)).toBeLessThan(1e-5);
    [masked, compact, rewritten].forEach(disposeModel);
  });

  it('leaves a graph without narrowed convs as it is', async () => {
    const model = createModel('resnet20', { inputSize: [8, 8] }, 2);
    const weights = await readWeightValues(model);
    const r = runtimeWidths(model.spec, weights, { channelMultiple: 16 });
    expect(r.spec).toBe(model.spec);
    expect(r.weights).toBe(weights);
    disposeModel(model);
  });
});

describe('ONNX Runtime runs the default compact export as plain fused convs', () => {
  let dir: string;
  beforeAll(async () => {
    await useCpu();
    dir = mkdtempSync(path.join(os.tmpdir(), 'runtime-widths-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Op types (with domain) of the graph ONNX Runtime runs after its optimizations, counted. */
  async function optimizedOps(bytes: Uint8Array, file: string): Promise<Map<string, number>> {
    const optimizedModelFilePath = path.join(dir, file);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all', optimizedModelFilePath });
    await session.release();
    const decoded = ModelProto.decode(readFileSync(optimizedModelFilePath)) as unknown as { graph: { node: { opType: string; domain?: string }[] } };
    const counts = new Map<string, number>();
    for (const n of decoded.graph.node) {
      const key = `${n.domain ? `${n.domain}:` : ''}${n.opType}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  it('resnet20 SFP 30% compact: the same optimized node types and counts as its unpruned parent', async () => {
    const { masked, compact } = compactOf('resnet20', [32, 32]);
    const parent = await optimizedOps(graphToOnnx(masked.spec, await readWeightValues(masked)), 'parent.onnx');
    const pruned = await optimizedOps(graphToOnnx(compact.spec, await readWeightValues(compact)), 'compact.onnx');
    expect(Object.fromEntries(pruned)).toEqual(Object.fromEntries(parent));
    // Without the rewrites (widths kept, maps added) the optimized compact graph is larger: the check can fail.
    const unaligned = await optimizedOps(graphToOnnx(compact.spec, await readWeightValues(compact), { channelMultiple: 1 }), 'unaligned.onnx');
    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    expect(total(unaligned)).toBeGreaterThan(total(parent));
    [masked, compact].forEach(disposeModel);
  });
});
