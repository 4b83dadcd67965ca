import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResnetGenerator } from '../../src-main/spgan/nets/generator.ts';
import { PatchDiscriminator } from '../../src-main/spgan/nets/discriminator.ts';
import { SiameseNet } from '../../src-main/spgan/nets/siamese.ts';
import { SpganModel } from '../../src-main/spgan/spgan-model.ts';
import { spganConfigSchema } from '../../src-main/common/contract/spgan.ts';
import { startEngine } from '../../src-main/engine/start.ts';

beforeAll(async () => {
  // wasm with the engine's training kernels: the pure-JS cpu backend needs seconds per conv gradient.
  await startEngine('wasm');
});

describe('SPGAN networks', () => {
  it('generator keeps [B,H,W,3] and stays in [-1, 1]', () => {
    const g = new ResnetGenerator('G', 4, 1, 1);
    const y = tf.tidy(() => g.apply(tf.randomUniform([2, 32, 16, 3], -1, 1) as tf.Tensor4D));
    expect(y.shape).toEqual([2, 32, 16, 3]);
    const [min, max] = [tf.min(y).dataSync()[0], tf.max(y).dataSync()[0]];
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0); // not a constant image
    y.dispose();
    g.params.dispose();
  });

  it.each([
    // [layers, H, W, expected patch grid]: stride-2 stages halve, the two 4x4 stride-1 convs each take one off
    [3, 64, 32, [6, 2]],
    [2, 32, 16, [6, 2]],
    [3, 256, 128, [30, 14]],
  ] as const)('PatchGAN with %i layers on %ix%i gives a %j patch grid', (layers, h, w, grid) => {
    const d = new PatchDiscriminator('D', 4, layers, 1);
    const y = tf.tidy(() => d.apply(tf.zeros([1, h, w, 3]) as tf.Tensor4D));
    expect(y.shape).toEqual([1, grid[0], grid[1], 1]);
    y.dispose();
    d.params.dispose();
  });

  it('Siamese net gives unit-norm 64-d embeddings', () => {
    const s = new SiameseNet('S', 4, 1);
    const e = tf.tidy(() => s.apply(tf.randomUniform([3, 32, 16, 3], -1, 1) as tf.Tensor4D, true));
    expect(e.shape).toEqual([3, 64]);
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(e), 1)).arraySync() as number[]);
    for (const n of norms) expect(n).toBeCloseTo(1, 5);
    e.dispose();
    s.params.dispose();
  });

  it('one SPGAN step at 32x16 gives finite losses, changes the weights and leaks no tensors', () => {
    const config = spganConfigSchema.parse({
      sourceDatasetId: 1, targetDatasetId: 2, imageSize: [32, 16], residualBlocks: 1,
      generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2, siameseWidth: 4, poolSize: 3, batchSize: 2,
    });
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const model = new SpganModel(config, random);
    const a = tf.randomUniform([2, 32, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([2, 32, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const g0 = model.G.params.trainable()[0].dataSync().slice();
    const first = model.trainStep(a, b, true);
    for (const [name, v] of Object.entries(first)) expect(Number.isFinite(v), name).toBe(true);
    expect(first.contrastive).toBeGreaterThan(0);
    expect(first.siamese).toBeGreaterThan(0);
    expect(first.cycle).toBeGreaterThan(0);
    expect(Array.from(model.G.params.trainable()[0].dataSync())).not.toEqual(Array.from(g0));
    // Pool fills (3 slots) during the first steps, then the count must stay flat.
    model.trainStep(a, b, true);
    const before = tf.memory().numTensors;
    const again = model.trainStep(a, b, true);
    expect(tf.memory().numTensors).toBe(before);
    for (const v of Object.values(again)) expect(Number.isFinite(v)).toBe(true);
    // Contrastive off (first epoch, or CycleGAN): the term is not computed at all.
    const plain = model.trainStep(a, b, false);
    expect(plain.contrastive).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
    model.dispose();
  });

  it.each([
    ['CycleGAN + identity (contrastive 0)', { lambdaContrastive: 0 }, { contrastive: 0, siamese: 0 }],
    ['plain CycleGAN (contrastive 0, identity 0)', { lambdaContrastive: 0, lambdaIdentity: 0 }, { contrastive: 0, siamese: 0, identity: 0 }],
  ] as const)('%s is the same step with other weights', (_name, weights, zero) => {
    const config = spganConfigSchema.parse({
      sourceDatasetId: 1, targetDatasetId: 2, imageSize: [32, 16], residualBlocks: 1,
      generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2, siameseWidth: 4, poolSize: 0, ...weights,
    });
    const model = new SpganModel(config, () => 0.3);
    const s0 = model.S.params.trainable()[0].dataSync().slice();
    const a = tf.randomUniform([1, 32, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const b = tf.randomUniform([1, 32, 16, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
    const losses = model.trainStep(a, b, true);
    for (const [k, v] of Object.entries(zero)) expect(losses[k as keyof typeof losses], k).toBe(v);
    expect(losses.cycle).toBeGreaterThan(0);
    expect(losses.d_A).toBeGreaterThan(0);
    // The Siamese net is not trained at all without the contrastive term.
    expect(Array.from(model.S.params.trainable()[0].dataSync())).toEqual(Array.from(s0));
    tf.dispose([a, b]);
    model.dispose();
  });
});
