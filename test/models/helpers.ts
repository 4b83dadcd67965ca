import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Model } from '../../src-main/nn/forward.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { expectedWeights } from '../../src-main/nn/graph.ts';
import { mulberry32 } from '../../src-main/common/random.ts';

/** Deterministic pseudo-random floats in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng();
  return a;
}

/**
 * Gives BatchNorm layers and pruning constants non-trivial values (a fresh
 * model has gamma 1, beta 0, mean 0, var 1, which would hide a wrong mapping
 * of any of them), in place. Variances stay in [0.5, 1.5] so activations keep
 * a trained network's scale through deep stacks.
 */
export function randomiseNonConvWeights(model: Model, seed: number): void {
  let k = seed;
  for (const info of expectedWeights(model.spec)) {
    const leaf = info.name.slice(info.name.lastIndexOf('/') + 1);
    const size = info.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array | null = null;
    if (leaf === 'gamma') values = randomArray(size, ++k, 0.5, 1.5);
    else if (leaf === 'beta' || leaf === 'movingMean') values = randomArray(size, ++k, -0.3, 0.3);
    else if (leaf === 'movingVariance') values = randomArray(size, ++k, 0.5, 1.5);
    else if (leaf === 'bias' || leaf === 'constKernel') values = randomArray(size, ++k, -0.2, 0.2);
    if (!values) continue;
    const old = model.weights.get(info.name)!;
    model.weights.set(info.name, tf.tensor(values, info.shape, 'float32'));
    old.dispose();
  }
}

/** Reference logits from the workbench's own forward pass (inference mode), [B, classes] flattened. */
export function referenceLogits(model: Model, input: Float32Array, shape: [number, number, number, number]): Float32Array {
  return tf.tidy(() => forward(model, tf.tensor4d(input, shape), { training: false }).logits.dataSync() as Float32Array);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
