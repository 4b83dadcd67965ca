/** Models shared by the hard-pruning tests. */
import * as tf from '@tensorflow/tfjs-core';
import { listModels } from '../../src-main/models/registry.ts';
import type { Model } from '../../src-main/nn/forward.ts';
import type { ModelOptionsInput } from '../../src-main/common/contract/models.ts';

/** Gives BN non-trivial statistics so the constant outputs of pruned channels matter (fresh BN would make them 0). */
export function randomiseBatchNorm(model: Model, seed: number): void {
  let s = seed;
  for (const n of model.spec.nodes) {
    if (n.op !== 'batchNorm') continue;
    for (const [leaf, lo, hi] of [['gamma', 0.5, 1.5], ['beta', -0.5, 0.5], ['movingMean', -0.3, 0.3], ['movingVariance', 0.5, 2]] as const) {
      const v = model.weights.get(`${n.name}/${leaf}`) as tf.Variable;
      tf.tidy(() => v.assign(tf.randomUniform(v.shape, lo, hi, 'float32', s++)));
    }
  }
}

export function variants(): [string, ModelOptionsInput][] {
  const out: [string, ModelOptionsInput][] = [];
  for (const m of listModels()) {
    const base: ModelOptionsInput =
      m.family === 'cifar' ? { inputSize: [8, 8], channels: 1, numClasses: 3, widthMultiplier: 0.5 } : { inputSize: [32, 32], channels: 3, numClasses: 4, widthMultiplier: 0.125 };
    out.push([m.name, base]);
  }
  out.push(['resnet20', { inputSize: [8, 8], channels: 3, numClasses: 3, widthMultiplier: 0.5, shortcut: 'B', eraseRelu: true }]);
  return out;
}

