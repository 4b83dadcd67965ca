/**
 * The SPGAN step's gradients on the lean path (pieces of each loss back-propagated and freed
 * one after another, engine/lean-tape.ts) against TF.js' tape over each whole loss, for every
 * part of the loss; the lean step's run-to-run reproducibility, leaks and peak tensor memory.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { SpganModel } from '../../src-main/spgan/spgan-model.ts';
import { spganConfigSchema, type SpganConfig } from '../../src-main/common/contract/spgan.ts';
import { generatorGradients, siameseGradients, discriminatorGradients, type Grads } from '../../src-main/spgan/step-gradients.ts';
import { leanGrads } from '../../src-main/engine/lean-tape.ts';
import { l1 } from '../../src-main/spgan/losses.ts';
import { startEngine } from '../../src-main/engine/start.ts';

beforeAll(async () => {
  // wasm with the engine's kernels (native where built): the path training runs.
  await startEngine('wasm');
});

const H = 32;
const W = 16;
const B = 2;

function makeModel(weights: Partial<SpganConfig> = {}, poolSize = 0): SpganModel {
  const config = spganConfigSchema.parse({
    sourceDatasetId: 1, targetDatasetId: 2, imageSize: [H, W], residualBlocks: 2,
    generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2, siameseWidth: 4, poolSize, batchSize: B, ...weights,
  });
  let seed = 1;
  return new SpganModel(config, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
}

const inputs = (): [tf.Tensor4D, tf.Tensor4D] => [
  tf.randomUniform([B, H, W, 3], -1, 1, 'float32', 11) as tf.Tensor4D,
  tf.randomUniform([B, H, W, 3], -1, 1, 'float32', 12) as tf.Tensor4D,
];

/**
 * Every variable's lean gradient within float32 summation-order error of the tape's: the
 * largest difference at most 1e-4 of that gradient's largest entry (sums of a few thousand
 * float32 products, accumulated in another order: ~1e-6 relative each), plus 1e-5 of the
 * largest entry of any gradient in the map: the bias of a conv followed by InstanceNorm has a
 * gradient that is zero in exact arithmetic (the norm removes the channel mean), so what the
 * tape gives there is cancellation noise of the scale of the other gradients times float32's
 * epsilon, not a value the two paths should agree on relatively. Not all zero.
 */
function expectSameGrads(lean: Grads, tape: Grads): void {
  expect(Object.keys(lean).sort()).toEqual(Object.keys(tape).sort());
  const global = Math.max(...Object.values(tape).map((t) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!)));
  expect(global).toBeGreaterThan(0);
  for (const [name, t] of Object.entries(tape)) {
    const a = t.dataSync();
    const b = lean[name]!.dataSync();
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(a[i]!));
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      if (!Number.isFinite(b[i]!)) throw new Error(`${name}: lean gradient not finite`);
    }
    expect(diff, `${name}: max |lean - tape| ${diff} vs max |tape| ${scale}, largest gradient ${global}`).toBeLessThanOrEqual(1e-4 * scale + 1e-5 * global);
  }
}

/** Runs a test body with a fresh model, disposed even when the body fails (variable names are global). */
function withModel(weights: Partial<SpganConfig>, poolSize: number, body: (model: SpganModel, a: tf.Tensor4D, b: tf.Tensor4D) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const model = makeModel(weights, poolSize);
    const [a, b] = inputs();
    try {
      await body(model, a, b);
    } finally {
      tf.dispose([a, b]);
      model.dispose();
    }
  };
}

const relClose = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(a), Math.abs(b)) + 1e-7);

describe('SPGAN lean step gradients equal the tape', () => {
  it.each([
    // [part of the generator loss, weights that leave it (and the adversarial term, which has no weight) on]
    ['adversarial only', { lambdaCycle: 0, lambdaIdentity: 0, lambdaContrastive: 0 }, false],
    ['adversarial + cycle', { lambdaCycle: 10, lambdaIdentity: 0, lambdaContrastive: 0 }, false],
    ['adversarial + identity', { lambdaCycle: 0, lambdaIdentity: 5, lambdaContrastive: 0 }, false],
    ['adversarial + contrastive', { lambdaCycle: 0, lambdaIdentity: 0, lambdaContrastive: 2 }, true],
    ['the full SPGAN loss', {}, true],
  ] as const)('generator: %s', (_name, weights, contrastiveOn) => withModel(weights, 0, (model, a, b) => {
    const tape = generatorGradients(model, a, b, contrastiveOn, 'tape');
    const lean = generatorGradients(model, a, b, contrastiveOn, 'lean');
    try {
      expectSameGrads(lean.grads, tape.grads);
      for (const k of ['g_total', 'g_adv', 'cycle', 'identity', 'contrastive'] as const) relClose(lean.losses[k] ?? 0, tape.losses[k] ?? 0);
      if (contrastiveOn) expect(lean.losses.contrastive).toBeGreaterThan(0);
      // The fakes handed on are the same forward pass.
      expect(Array.from(lean.fakeB.dataSync())).toEqual(Array.from(tape.fakeB.dataSync()));
      expect(Array.from(lean.fakeA.dataSync())).toEqual(Array.from(tape.fakeA.dataSync()));
    } finally {
      tf.dispose([tape.fakeA, tape.fakeB, lean.fakeA, lean.fakeB, ...Object.values(tape.grads), ...Object.values(lean.grads)]);
    }
  })());

  it('Siamese net (contrastive, with dropout) and discriminators (real and pooled fakes)', withModel({}, 0, (model, a, b) => {
    const fakes = tf.tidy(() => [model.translate(a, 'AtoB'), model.translate(b, 'BtoA')]) as [tf.Tensor4D, tf.Tensor4D];
    const seed = model.S.nextDropoutSeed;
    const sTape = siameseGradients(model, a, b, fakes[1], fakes[0], 'tape');
    model.S.nextDropoutSeed = seed; // the same dropout masks on both paths
    const sLean = siameseGradients(model, a, b, fakes[1], fakes[0], 'lean');
    const dTape = discriminatorGradients(model, a, b, fakes[1], fakes[0], 'tape');
    const dLean = discriminatorGradients(model, a, b, fakes[1], fakes[0], 'lean');
    try {
      expect(sLean.loss).toBeGreaterThan(0);
      relClose(sLean.loss, sTape.loss);
      expectSameGrads(sLean.grads, sTape.grads);
      relClose(dLean.d_A, dTape.d_A);
      relClose(dLean.d_B, dTape.d_B);
      expectSameGrads(dLean.grads, dTape.grads);
    } finally {
      tf.dispose([...fakes, ...[sTape, sLean, dTape, dLean].flatMap((r) => Object.values(r.grads))]);
    }
  }));

  it('one tape back-propagated by lean-tape gives tf.variableGrads\' gradients bit for bit', withModel({}, 0, (model, a, b) => {
    const vars = model.G.params.trainable();
    const loss = (): tf.Scalar => l1(model.F.apply(model.G.apply(a)), b);
    const tape = tf.variableGrads(loss, vars);
    const lean = leanGrads(loss, vars);
    try {
      expect(lean.value.dataSync()[0]).toBe(tape.value.dataSync()[0]);
      vars.forEach((v, i) => expect(Array.from(lean.grads[i]!.dataSync()), v.name).toEqual(Array.from(tape.grads[v.name]!.dataSync())));
    } finally {
      tf.dispose([tape.value, lean.value, ...Object.values(tape.grads), ...lean.grads.filter((g): g is tf.Tensor => g != null)]);
    }
  }));
});

describe('SPGAN lean step', () => {
  it('is bit-for-bit reproducible run to run and leaks no tensors', async () => {
    const run = async (): Promise<{ losses: number[][]; weights: Float32Array[] }> => {
      const out = { losses: [] as number[][], weights: [] as Float32Array[] };
      await withModel({}, 3, (model, a, b) => {
        let flat = 0;
        for (let i = 0; i < 4; i++) {
          if (i === 3) flat = tf.memory().numTensors; // optimiser moments made and pool (3) full by then
          out.losses.push(Object.values(model.trainStep(a, b, i > 0, 'lean')));
        }
        expect(tf.memory().numTensors).toBe(flat);
        out.weights = [...model.variables().values()].map((v) => v.dataSync().slice() as Float32Array);
      })();
      return out;
    };
    const first = await run();
    const second = await run();
    expect(second.losses).toEqual(first.losses);
    expect(second.weights.length).toBe(first.weights.length);
    first.weights.forEach((w, i) => expect(Array.from(second.weights[i]!)).toEqual(Array.from(w)));
  });

  it('holds less than half the tape path\'s peak tensor memory', withModel({}, 0, async (model, a, b) => {
    const peak = async (path: 'tape' | 'lean'): Promise<number> => {
      const info = await tf.profile(() => void model.trainStep(a, b, true, path));
      return info.peakBytes - tf.memory().numBytes;
    };
    await peak('lean'); // optimiser moments
    const tape = await peak('tape');
    const lean = await peak('lean');
    expect(lean).toBeGreaterThan(0);
    expect(lean).toBeLessThan(0.5 * tape);
  }));
});
