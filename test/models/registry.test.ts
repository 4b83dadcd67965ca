import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from './tf-setup.ts';
import { listModels, createModel, buildSpec } from '../../src-main/models/registry.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel, trainableVariables } from '../../src-main/nn/init.ts';
import { saveModel, loadModel } from '../../src-main/nn/model-file.ts';
import type { ModelOptionsInput } from '../../src-main/common/contract/models.ts';

/** Small but structurally complete variants so every model runs in well under a second on cpu. */
function smallOptions(family: string): ModelOptionsInput {
  return family === 'cifar'
    ? { inputSize: [8, 8], channels: 1, numClasses: 3, widthMultiplier: 0.25 }
    : { inputSize: [32, 32], channels: 3, numClasses: 4, widthMultiplier: 0.0625 };
}

describe('model registry', () => {
  beforeAll(async () => {
    await useCpu();
  });

  it.each(listModels().map((m) => [m.name, m.family] as const))('%s builds, runs forward and backward, and round-trips through a model file', async (name, family) => {
    const before = tf.memory().numTensors;
    const opts = smallOptions(family);
    const model = createModel(name, opts, 7);
    const x = tf.randomNormal([2, opts.inputSize![0], opts.inputSize![1], opts.channels!], 0, 1, 'float32', 1) as tf.Tensor4D;

    const logits = tf.tidy(() => forward(model, x, { training: false }).logits);
    expect(logits.shape).toEqual([2, opts.numClasses]);

    const vars = trainableVariables(model);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 1], opts.numClasses!), forward(model, x, { training: true }).logits) as tf.Scalar, vars);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(vars.length);
    const stemGrad = grads[(model.weights.get('stem/conv/kernel') as tf.Variable).name]!;
    expect(tf.tidy(() => tf.norm(stemGrad).dataSync()[0])).toBeGreaterThan(0);
    value.dispose();
    tf.dispose(Object.values(grads));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-model-'));
    try {
      await saveModel(model, dir, { note: 'test' });
      const { model: loaded, manifest } = loadModel(dir, { knownArchs: listModels().map((m) => m.name) });
      expect(manifest.meta).toEqual({ note: 'test' });
      const again = tf.tidy(() => forward(loaded, x, { training: false }).logits);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(again, logits))).dataSync()[0])).toBe(0);
      again.dispose();
      disposeModel(loaded);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    logits.dispose();
    x.dispose();
    disposeModel(model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has the paper depths: conv counts and parameter layout of ResNet-20 and ResNet-50', () => {
    const r20 = buildSpec('resnet20');
    const convs20 = r20.nodes.filter((n) => n.op === 'conv2d');
    expect(convs20.length).toBe(19);
    expect(r20.nodes.some((n) => n.op === 'shortcutA')).toBe(true);
    const r50 = buildSpec('resnet50');
    expect(r50.nodes.filter((n) => n.op === 'conv2d' && n.role !== 'downsample').length).toBe(49);
    const b = buildSpec('resnet20', { shortcut: 'B' });
    expect(b.nodes.filter((n) => n.op === 'conv2d' && n.role === 'downsample').length).toBe(2);
  });

  it('EraseReLU removes the post-addition ReLU in all blocks or the chosen proportion', () => {
    const count = (o: ModelOptionsInput): number => buildSpec('resnet20', o).nodes.filter((n) => n.op === 'relu' && n.name.endsWith('relu2')).length;
    expect(count({})).toBe(9);
    expect(count({ eraseRelu: true })).toBe(0);
    expect(count({ eraseRelu: 1 / 3 })).toBe(6);
  });

  it('refuses an unknown architecture and an input smaller than the network', () => {
    expect(() => buildSpec('resnet21')).toThrow(/Unknown architecture "resnet21"/);
    expect(() => buildSpec('resnet18', { inputSize: [16, 16] })).toThrow(/too small/);
  });

  it('PatchShuffle permutes pixels within patches in training and is the identity at inference', () => {
    const model = createModel('resnet20', { inputSize: [8, 8], channels: 1, widthMultiplier: 0.25, patchShuffle: { patch: 2, probability: 1, at: ['input'] } }, 1);
    const x = tf.tensor4d(Array.from({ length: 64 }, (_, i) => i), [1, 8, 8, 1]);
    const a = tf.tidy(() => forward(model, x, { training: false }).logits.dataSync());
    const b = tf.tidy(() => forward(model, x, { training: true, seed: 3 }).logits.dataSync());
    expect(Array.from(a)).not.toEqual(Array.from(b));
    disposeModel(model);
    x.dispose();
  });
});
