import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { forward } from '../../src-main/nn/forward.ts';
import { listModels, createModel } from '../../src-main/models/registry.ts';
import type { ModelOptionsInput } from '../../src-main/common/contract/models.ts';
import type { Model } from '../../src-main/nn/forward.ts';
import { disposeModel, initModel } from '../../src-main/nn/init.ts';
import { graphToOnnx } from '../../src-main/models/export/onnx/graph-to-onnx.ts';
import { graphToLayersModel } from '../../src-main/models/export/tfjs/graph-to-layers.ts';
import { saveLayersModel, loadLayersModelFromFolder } from '../../src-main/models/export/tfjs/layers-files.ts';
import { openOnnxSession, runOnnx } from '../../src-main/models/export/onnx/onnx-session.ts';
import { readWeightValues } from '../../src-main/models/export/model-weights.ts';
import { EXPORT_RELATIVE_TOLERANCE } from '../../src-main/models/export/verify.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { everyNodeSpec } from './fixtures.ts';
import { randomiseNonConvWeights, referenceLogits, randomArray, maxAbsDiff, maxAbs } from './helpers.ts';

/** Tolerance and its justification: src-main/export/verify.ts. */
function close(reference: Float32Array, other: ArrayLike<number>): { diff: number; bound: number } {
  return { diff: maxAbsDiff(reference, other), bound: EXPORT_RELATIVE_TOLERANCE * Math.max(1, maxAbs(reference)) };
}

/**
 * A compact model the way users get one: SFP mask at 30% (after BN got
 * non-trivial statistics, so pruned channels carry constants through the
 * scatter and constant-input paths), then hard pruning.
 */
function compactOf(name: 'resnet20' | 'resnet56' | 'resnet18' | 'resnet50'): Model {
  const small = name === 'resnet20' || name === 'resnet56';
  const masked = createModel(name, small ? { inputSize: [8, 8] } : { inputSize: [32, 32], widthMultiplier: 0.25, numClasses: 10 }, 5);
  randomiseNonConvWeights(masked, 21);
  applySfpMask(masked, selectLayers(masked.spec, 0.3));
  const { model } = compactModel(masked);
  disposeModel(masked);
  return model;
}

interface Case {
  label: string;
  make(): Model;
}

/** Every registry architecture at a small input size (ImageNet ones also narrow), plus variants and a fixture using every node type. */
const cases: Case[] = [
  ...listModels().map((info) => {
    const options: ModelOptionsInput =
      info.family === 'cifar' ? { inputSize: [8, 8] } : { inputSize: [32, 32], widthMultiplier: 0.125, numClasses: 10 };
    return { label: info.name, make: () => createModel(info.name, options, 1) };
  }),
  {
    label: 'resnet20 shortcut B, EraseReLU 0.5, PatchShuffle, 1 channel',
    make: () => createModel('resnet20', { inputSize: [8, 8], channels: 1, shortcut: 'B', eraseRelu: 0.5, patchShuffle: { at: ['input', 'stage1'] } }, 2),
  },
  ...(['resnet20', 'resnet56', 'resnet18', 'resnet50'] as const).map((name) => ({
    label: `${name} soft-pruned at 30% then hard-pruned (compact)`,
    make: () => compactOf(name),
  })),
  { label: 'fixture with every node type (constInput, channelScatter, explicit pads)', make: () => initModel(everyNodeSpec(), 3) },
];

describe('ONNX and TF.js layers exports compute what the workbench computes', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'export-eq-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)('$label', async ({ label, make }) => {
    const model = make();
    // Compact models keep the statistics they were pruned with (their constants depend on them).
    if (!label.includes('compact')) randomiseNonConvWeights(model, 11);
    if (label.includes('compact')) {
      const ops = new Set(model.spec.nodes.map((n) => n.op));
      expect(ops.has('channelScatter') || model.spec.nodes.some((n) => n.op === 'conv2d' && n.constInput)).toBe(true);
    }
    const { height, width, channels } = model.spec.input;
    const shape: [number, number, number, number] = [3, height, width, channels];
    const x = randomArray(shape.reduce((a, b) => a * b, 1), 5);
    const reference = referenceLogits(model, x, shape);
    const weights = await readWeightValues(model);
    const before = tf.memory().numTensors;

    const session = await openOnnxSession(graphToOnnx(model.spec, weights), { threads: 1 });
    const onnx = await runOnnx(session, { data: x, dims: shape });
    await session.release();
    expect(onnx.dims).toEqual([3, model.spec.numClasses]);
    const o = close(reference, onnx.data);
    expect(o.diff, `ONNX vs TF.js for ${label}`).toBeLessThanOrEqual(o.bound);

    const folder = path.join(dir, label.replace(/\W+/g, '_'));
    const layers = graphToLayersModel(model.spec, weights);
    await saveLayersModel(layers, folder);
    layers.dispose();
    const loaded = await loadLayersModelFromFolder(folder);
    const tfjs = tf.tidy(() => (loaded.predict(tf.tensor4d(x, shape)) as tf.Tensor).dataSync());
    loaded.dispose();
    const t = close(reference, tfjs);
    expect(t.diff, `TF.js layers round trip for ${label}`).toBeLessThanOrEqual(t.bound);
    // Building, saving and loading the layers model leaves no tensor behind.
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
  });

  it('exports the pooled features as a second ONNX output on request', async () => {
    const model = createModel('resnet20', { inputSize: [8, 8] }, 6);
    randomiseNonConvWeights(model, 13);
    const x = randomArray(2 * 8 * 8 * 3, 14);
    const reference = tf.tidy(() => forward(model, tf.tensor4d(x, [2, 8, 8, 3]), { training: false }).features!.dataSync() as Float32Array);
    const session = await openOnnxSession(graphToOnnx(model.spec, await readWeightValues(model), { includeFeatures: true }), { threads: 1 });
    expect(session.outputNames).toEqual(['logits', 'features']);
    const out = await session.run({ input: new ort.Tensor('float32', x, [2, 8, 8, 3]) });
    await session.release();
    expect(out.features!.dims).toEqual([2, 64]);
    const f = close(reference, out.features!.data as Float32Array);
    expect(f.diff).toBeLessThanOrEqual(f.bound);
    disposeModel(model);
  });

  it('an NCHW-input export agrees with the NHWC one, and a wrong layout is caught by the tolerance', async () => {
    const model = initModel(everyNodeSpec(), 4);
    randomiseNonConvWeights(model, 12);
    const { height: h, width: w, channels: c } = model.spec.input;
    const nhwc = randomArray(2 * h * w * c, 9);
    const reference = referenceLogits(model, nhwc, [2, h, w, c]);
    const weights = await readWeightValues(model);
    // [B,H,W,C] -> [B,C,H,W]
    const nchw = tf.tidy(() => tf.transpose(tf.tensor4d(nhwc, [2, h, w, c]), [0, 3, 1, 2]).dataSync() as Float32Array);
    const session = await openOnnxSession(graphToOnnx(model.spec, weights, { inputLayout: 'nchw', batch: 2 }), { threads: 1 });
    const right = await runOnnx(session, { data: nchw, dims: [2, c, h, w] });
    const r = close(reference, right.data);
    expect(r.diff).toBeLessThanOrEqual(r.bound);
    // The same numbers read in the wrong layout: the comparison must notice.
    const wrong = await runOnnx(session, { data: nhwc, dims: [2, c, h, w] });
    expect(close(reference, wrong.data).diff).toBeGreaterThan(100 * r.bound);
    await session.release();
    disposeModel(model);
  });
});
