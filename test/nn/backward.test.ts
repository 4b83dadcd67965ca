/**
 * The hand-written backward pass (nn/backward.ts) against TF.js' gradient tape over forward():
 * same loss, same gradients for every weight of every registry model and option that changes the
 * graph (shortcut B, erased ReLUs, PatchShuffle, frozen BatchNorm, a hard-pruned compact model),
 * on the wasm engine (native kernels where built) and, for ResNet-20, the cpu backend; fewer live bytes at the
 * peak; no tensors left behind over a long loop.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { createModel, listModels } from '../../src-main/models/registry.ts';
import type { ModelOptionsInput } from '../../src-main/common/contract/models.ts';
import { forward, updateRunningStats, type BatchStats, type Model } from '../../src-main/nn/forward.ts';
import { trainGradients } from '../../src-main/nn/backward.ts';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { expectedWeights } from '../../src-main/nn/graph.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';

const lossOf = (labels: tf.Tensor) => (logits: tf.Tensor2D): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;

/** Gradients through the tape (the path every caller used before), by weight name. */
function tapeGradients(model: Model, x: tf.Tensor4D, labels: tf.Tensor, seed: number): { loss: number; grads: Map<string, tf.Tensor>; stats: BatchStats } {
  const stats: BatchStats = new Map();
  const trainable = expectedWeights(model.spec).filter((w) => w.trainable);
  const vars = trainable.map((w) => model.weights.get(w.name) as tf.Variable);
  const { value, grads } = tf.variableGrads(() => lossOf(labels)(forward(model, x, { training: true, seed, batchStats: stats }).logits), vars);
  const byWeight = new Map(trainable.map((w, i) => [w.name, grads[vars[i]!.name]!]));
  const loss = value.dataSync()[0]!;
  value.dispose();
  return { loss, grads: byWeight, stats };
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]!));
}

/** Random affine BatchNorm parameters, so gamma/beta gradients are not those of the identity. */
function randomiseBatchNorms(model: Model, seed: number): void {
  for (const [name, t] of model.weights) {
    const leaf = name.split('/')[1];
    if (leaf !== 'gamma' && leaf !== 'beta' && leaf !== 'movingMean' && leaf !== 'movingVariance') continue;
    tf.tidy(() => (t as tf.Variable).assign(tf.add(tf.randomUniform(t.shape, 0, 1, 'float32', seed++), leaf === 'movingMean' || leaf === 'beta' ? -0.5 : 0.5)));
  }
}

const small = (name: string): ModelOptionsInput =>
  listModels().find((m) => m.name === name)!.family === 'cifar' ? { inputSize: [8, 8], widthMultiplier: 0.5 } : { inputSize: [32, 32], widthMultiplier: 0.125 };

/** Every registry model, plus the options that add or change nodes. */
const cases: Array<[string, string, ModelOptionsInput, { compact?: boolean }]> = [
  ...listModels().map((m): [string, string, ModelOptionsInput, object] => [m.name, m.name, small(m.name), {}]),
  ['resnet20 shortcut B, erased ReLUs', 'resnet20', { ...small('resnet20'), shortcut: 'B', eraseRelu: 0.5 }, {}],
  ['resnet20 PatchShuffle', 'resnet20', { ...small('resnet20'), patchShuffle: { patch: 2, probability: 0.5, at: ['input', 'stage1'] } }, {}],
  ['resnet20 frozen BatchNorm', 'resnet20', { ...small('resnet20'), frozenBatchNorm: true }, {}],
  ['resnet20 hard-pruned (scatters, constant maps)', 'resnet20', small('resnet20'), { compact: true }],
  ['resnet18 hard-pruned', 'resnet18', small('resnet18'), { compact: true }],
];

function build(arch: string, options: ModelOptionsInput, compact: boolean): { model: Model; extra: Model | null } {
  const model = createModel(arch, options, 5);
  randomiseBatchNorms(model, 11);
  if (!compact) return { model, extra: null };
  applySfpMask(model, selectLayers(model.spec, 0.4));
  return { model: compactModel(model).model, extra: model };
}

// The cpu backend has no fused BatchNorm kernels: it checks batchNormTrainBackward's composed fallback (one model: cpu convs are slow).
describe.each([
  ['the wasm engine', 'wasm', cases],
  ['the cpu backend', 'cpu', cases.slice(0, 1)],
] as const)('hand-written backward pass on %s', (_name, backend, backendCases) => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm' });
    if (backend === 'cpu') await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it.each(backendCases)('%s: same loss, gradients and batch statistics as the tape', (_label, arch, options, { compact }) => {
    const { model, extra } = build(arch, options, compact ?? false);
    const [h, w] = options.inputSize!;
    const x = tf.randomNormal([3, h, w, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 7, 3], 'int32'), model.spec.numClasses));
    const before = tf.memory().numTensors;
    const ref = tapeGradients(model, x, labels, 9);
    const stats: BatchStats = new Map();
    const ours = trainGradients(model, x, lossOf(labels), { seed: 9, batchStats: stats });
    expect(ours.loss.dataSync()[0]).toBeCloseTo(ref.loss, 5);
    expect([...ours.grads.keys()].sort()).toEqual([...ref.grads.keys()].sort());
    for (const [name, g] of ref.grads) {
      const d = maxRelDiff(ours.grads.get(name)!, g);
      if (d > 1e-5) throw new Error(`${name}: gradient differs from the tape's by ${d} (relative to its max)`);
    }
    expect([...stats.keys()].sort()).toEqual([...ref.stats.keys()].sort());
    for (const [name, s] of ref.stats) expect(maxRelDiff(stats.get(name)!.variance, s.variance)).toBeLessThan(1e-6);
    // Both paths hand back the same set of tensors: nothing else stays alive.
    // (plus the constant-input maps a hard-pruned model caches on its first forward pass).
    const cached = model.constCache?.size ?? 0;
    const live = tf.memory().numTensors - before - cached;
    const owned = ref.grads.size + 2 * ref.stats.size + 2 + ours.grads.size + 2 * stats.size;
    expect(live).toBe(owned);
    tf.dispose([ours.loss, ours.logits, ...ours.grads.values(), ...ref.grads.values()]);
    for (const s of [...stats.values(), ...ref.stats.values()]) tf.dispose([s.mean, s.variance]);
    expect(tf.memory().numTensors).toBe(before + cached);
    tf.dispose([x, labels]);
    disposeModel(model);
    if (extra) disposeModel(extra);
  });
});

/** Every float's bits, so -0/+0 and NaN payloads count as differences. */
const bitsOf = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('hand-written backward pass: fused BatchNorm + ReLU and ReLU gradient', () => {
  // (and the block-end fusions, test/engine/block-end-fusion.test.ts; the BatchNorm loops with the
  // channel count fixed, test/engine/bn-fixed-channels.test.ts, flip with them)
  const switches = [
    'WORKBENCH_FUSED_BN_RELU',
    'WORKBENCH_FUSED_RELU_GRAD',
    'WORKBENCH_FUSED_BN_ADD_RELU',
    'WORKBENCH_FUSED_DX_ADD',
    'WORKBENCH_FUSED_BN_ADD_RELU_GRAD',
    'WORKBENCH_NATIVE_BN_FIXED_C',
  ];
  beforeAll(async () => {
    await initEngine({ backend: 'wasm' });
  });
  afterAll(() => {
    for (const s of switches) delete process.env[s];
  });

  it.each(cases)('%s: bit-identical loss, gradients and statistics with the fused kernels on and off', async (_label, arch, options, { compact }) => {
    const { model, extra } = build(arch, options, compact ?? false);
    const [h, w] = options.inputSize!;
    const x = tf.randomNormal([3, h, w, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 7, 3], 'int32'), model.spec.numClasses));
    const run = async (fused: boolean): Promise<{ bits: Map<string, number[]>; kernels: string[] }> => {
      for (const s of switches) {
        if (fused) delete process.env[s];
        else process.env[s] = '0';
      }
      const stats: BatchStats = new Map();
      let r: ReturnType<typeof trainGradients> | undefined;
      const { kernelNames } = await tf.profile(() => {
        r = trainGradients(model, x, lossOf(labels), { seed: 9, batchStats: stats });
      });
      const bits = new Map<string, number[]>([['loss', bitsOf(r!.loss)]]);
      for (const [name, g] of r!.grads) bits.set(name, bitsOf(g));
      for (const [name, st] of stats) bits.set(`${name} mean`, bitsOf(st.mean)).set(`${name} variance`, bitsOf(st.variance));
      tf.dispose([r!.loss, r!.logits, ...r!.grads.values(), ...[...stats.values()].flatMap((st) => [st.mean, st.variance])]);
      return { bits, kernels: kernelNames };
    };
    const plain = await run(false);
    const fused = await run(true);
    expect([...fused.bits.keys()]).toEqual([...plain.bits.keys()]);
    for (const [name, b] of plain.bits) expect(fused.bits.get(name), name).toEqual(b);
    // Where the addon is built, the fused kernels ran (every model here has a BatchNorm -> ReLU pair
    // unless its BatchNorms are frozen, and a ReLU after an add) and the plain path used none of them.
    if (loadNativeAddon()) {
      const frozen = options.frozenBatchNorm === true;
      expect(fused.kernels.includes('EngineChannelScaleShiftRelu'), 'fused BatchNorm + ReLU ran').toBe(!frozen);
      expect(fused.kernels.includes('EngineBatchNormReluGrad'), 'fused BatchNorm + ReLU gradient ran').toBe(!frozen);
      // A ReLU after an add: its gradient alone, or inside the block end's (BatchNorm -> Add -> ReLU).
      expect(fused.kernels.includes('EngineReluGrad') || fused.kernels.includes('EngineBatchNormReluGradMasked'), 'fused ReLU gradient ran').toBe(true);
      const fusedNames = ['EngineChannelScaleShiftRelu', 'EngineBatchNormReluGrad', 'EngineReluGrad', 'EngineChannelScaleShiftAddRelu', 'EngineBatchNormReluGradMasked', 'EngineConv2DBackpropInputAdd'];
      expect(plain.kernels.filter((k) => fusedNames.includes(k))).toEqual([]);
    }
    tf.dispose([x, labels]);
    disposeModel(model);
    if (extra) disposeModel(extra);
  });
});

describe('hand-written backward pass: memory', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('holds under half the tape path live bytes at its peak (ResNet-20, batch 16)', () => {
    const model = createModel('resnet20', {}, 1);
    const x = tf.randomNormal([16, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.tidy(() => tf.oneHot(tf.fill([16], 3, 'int32') as tf.Tensor1D, 10));
    const base = tf.memory().numBytes;
    let tapePeak = 0;
    const { grads } = tf.variableGrads(() => {
      const l = lossOf(labels)(forward(model, x, { training: true }).logits);
      tapePeak = tf.memory().numBytes - base;
      return l;
    });
    tf.dispose(Object.values(grads));
    let ourPeak = 0;
    const r = trainGradients(model, x, lossOf(labels), { onForwardEnd: (b) => (ourPeak = b - base) });
    tf.dispose([r.loss, r.logits, ...r.grads.values()]);
    // The tape keeps ~7 activations per block plus gradients; this pass keeps 3 per block.
    expect(ourPeak).toBeLessThan(tapePeak * 0.5);
    tf.dispose([x, labels]);
    disposeModel(model);
  });

  it('300 SGD steps leak no tensors and learn', () => {
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.5, patchShuffle: { patch: 2, probability: 0.3 } }, 2);
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10));
    const optimizer = tf.train.momentum(0.05, 0.9);
    const byName = new Map([...model.weights].map(([k, v]) => [k, (v as tf.Variable).name]));
    const losses: number[] = [];
    let after: number | null = null;
    for (let i = 0; i < 300; i++) {
      const stats: BatchStats = new Map();
      const r = trainGradients(model, x, lossOf(labels), { seed: i, batchStats: stats });
      optimizer.applyGradients([...r.grads].map(([k, g]) => ({ name: byName.get(k)!, tensor: g })));
      updateRunningStats(model, stats);
      losses.push(r.loss.dataSync()[0]!);
      tf.dispose([r.loss, r.logits, ...r.grads.values()]);
      if (i === 0) after = tf.memory().numTensors; // the optimizer's slots exist from here on
      else expect(tf.memory().numTensors).toBe(after);
    }
    expect(losses[299]!).toBeLessThan(losses[0]! * 0.5);
    optimizer.dispose();
    tf.dispose([x, labels]);
    disposeModel(model);
  });
});
