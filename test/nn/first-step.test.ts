/**
 * The first training step of a process gives the same bits as the same step later in it, so a
 * resumed run (a new process) continues exactly as an uninterrupted one would.
 *
 * Why its own file: the first step must be the first work of a fresh process (vitest runs each
 * file in its own), when the wasm heap still grows during the step. Before the addon was built
 * with -ffp-contract=off, GCC's aliasing check in the BatchNorm scale-shift loop picked a fused
 * (FMA) or an unfused (multiply, add) path by the tensors' addresses, and a growing heap put them
 * elsewhere in the first step: gradients differed by a few ulps (BENCHMARKS.md, Compute engine).
 */
import { it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { trainGradients } from '../../src-main/nn/backward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { tensorBits } from '../engine/wasm-native.ts';

it('the first trainGradients call of a process is bit-identical to the second and third (ResNet-110, 8 channels)', async () => {
  await initEngine({ backend: 'wasm' });
  // 8-channel layers (width 0.5) on 8x8 inputs: the row loops run their short-vector tails, where the paths differed.
  const model = createModel('resnet110', { inputSize: [8, 8], widthMultiplier: 0.5 }, 5);
  const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([1, 7, 3], 'int32'), 10);
  const runs: Map<string, number[]>[] = [];
  for (let i = 0; i < 3; i++) {
    const r = trainGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, { seed: 9 });
    const m = new Map<string, number[]>([['loss', tensorBits(r.loss)]]);
    for (const [name, g] of r.grads) m.set(name, tensorBits(g));
    tf.dispose([r.loss, r.logits, ...r.grads.values()]);
    runs.push(m);
  }
  for (const later of runs.slice(1)) for (const [name, b] of runs[0]!) expect(later.get(name), name).toEqual(b);
  tf.dispose([x, labels]);
  disposeModel(model);
});
