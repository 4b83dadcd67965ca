/**
 * The ONNX exporter's rewrite of hard-pruned graphs (src-main/export/onnx/widen-scatters.ts):
 * scatters after conv -> BN disappear into widened convs, and the rewritten graph computes what
 * the original does (run both through the workbench's own forward pass).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from './tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel, modelFromTensors } from '../../src-main/nn/init.ts';
import { expectedWeights, inferShapes } from '../../src-main/nn/graph.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { readWeightValues } from '../../src-main/models/export/model-weights.ts';
import { widenScatters } from '../../src-main/models/export/onnx/widen-scatters.ts';
import { randomiseNonConvWeights } from './helpers.ts';

describe('widenScatters', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it.each(['resnet20', 'resnet18'] as const)('%s compact: no scatter left, same outputs', async (name) => {
    const masked = createModel(name, name === 'resnet20' ? { inputSize: [8, 8] } : { inputSize: [32, 32], widthMultiplier: 0.25 }, 5);
    randomiseNonConvWeights(masked, 3);
    applySfpMask(masked, selectLayers(masked.spec, 0.4));
    const { model: compact } = compactModel(masked);
    const scatters = compact.spec.nodes.filter((n) => n.op === 'channelScatter').length;
    expect(scatters).toBeGreaterThan(0);
    const { spec, weights } = widenScatters(compact.spec, await readWeightValues(compact));
    expect(spec.nodes.filter((n) => n.op === 'channelScatter')).toHaveLength(0);
    expect(spec.nodes).toHaveLength(compact.spec.nodes.length - scatters);
    expect(() => inferShapes(spec)).not.toThrow();
    const shapes = new Map(expectedWeights(spec).map((i) => [i.name, i.shape]));
    const tensors = new Map([...weights].map(([k, v]) => [k, tf.tensor(v, shapes.get(k))]));
    const widened = modelFromTensors(spec, tensors);
    tf.dispose([...tensors.values()]);
    const [h, w] = [compact.spec.input.height, compact.spec.input.width];
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
      const a = forward(compact, x, { training: false }).logits;
      const b = forward(widened, x, { training: false }).logits;
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-5);
    [masked, compact, widened].forEach(disposeModel);
  });

  it('widens only the scatters whose conv the predicate accepts (resnet20: the stem)', async () => {
    const masked = createModel('resnet20', { inputSize: [8, 8] }, 6);
    randomiseNonConvWeights(masked, 4);
    applySfpMask(masked, selectLayers(masked.spec, 0.4));
    const { model: compact } = compactModel(masked);
    const scatters = compact.spec.nodes.filter((n) => n.op === 'channelScatter');
    expect(scatters.map((n) => n.name)).toContain('stem/bn/scatter');
    const { spec, weights } = widenScatters(compact.spec, await readWeightValues(compact), (conv) => conv.name === 'stem/conv');
    expect(spec.nodes.filter((n) => n.op === 'channelScatter').map((n) => n.name)).toEqual(scatters.map((n) => n.name).filter((n) => n !== 'stem/bn/scatter'));
    expect(spec.nodes.find((n) => n.name === 'stem/conv')).toMatchObject({ filters: 16 });
    const shapes = new Map(expectedWeights(spec).map((i) => [i.name, i.shape]));
    expect([...weights.keys()].sort()).toEqual([...shapes.keys()].sort());
    const tensors = new Map([...weights].map(([k, v]) => [k, tf.tensor(v, shapes.get(k))]));
    const widened = modelFromTensors(spec, tensors);
    tf.dispose([...tensors.values()]);
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
      const a = forward(masked, x, { training: false }).logits;
      const b = forward(widened, x, { training: false }).logits;
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-5);
    [masked, compact, widened].forEach(disposeModel);
  });
});
