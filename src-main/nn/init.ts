/**
 * Seeded weight initialisation, computed in JS so a seed gives the same
 * weights on every backend (a resumed run and a fresh run must agree).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expectedWeights, type GraphSpec } from './graph.ts';
import type { Model } from './forward.ts';
import { hashSeed, mulberry32, normal } from '../common/random.ts';
import { disposeFoldCache } from './eval-fold.ts';

/** Initial values of one weight: He-normal (fan_out, as torchvision ResNets) for convs, uniform +-1/sqrt(fan_in) for dense, BN gamma=1, beta=0, mean=0, var=1. */
function initialValues(name: string, shape: number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  const rng = mulberry32(hashSeed(seed, ...Array.from(name, (ch) => ch.charCodeAt(0))));
  const leaf = name.slice(name.lastIndexOf('/') + 1);
  if (leaf === 'kernel' && shape.length === 4) {
    const fanOut = shape[0]! * shape[1]! * shape[3]!;
    const std = Math.sqrt(2 / fanOut);
    for (let i = 0; i < size; i++) v[i] = normal(rng) * std;
  } else if (leaf === 'kernel' && shape.length === 2) {
    const bound = 1 / Math.sqrt(shape[0]!);
    for (let i = 0; i < size; i++) v[i] = (rng() * 2 - 1) * bound;
  } else if (leaf === 'gamma' || leaf === 'movingVariance') {
    v.fill(1);
  }
  return v;
}

/** Fresh weights for a spec as tf.Variables (trainable flag from the spec). */
export function initModel(spec: GraphSpec, seed: number): Model {
  const weights = new Map<string, tf.Tensor>();
  for (const info of expectedWeights(spec)) {
    const values = initialValues(info.name, info.shape, seed);
    const initial = tf.tensor(values, info.shape, 'float32');
    weights.set(info.name, tf.variable(initial, info.trainable, undefined, 'float32'));
    initial.dispose();
  }
  return { spec, weights };
}

/** Wraps plain tensors (e.g. loaded from disk) as variables with the spec's trainable flags; takes ownership of the inputs. */
export function modelFromTensors(spec: GraphSpec, tensors: Map<string, tf.Tensor>): Model {
  const weights = new Map<string, tf.Tensor>();
  for (const info of expectedWeights(spec)) {
    const t = tensors.get(info.name);
    if (!t) throw new Error(`Weight "${info.name}" is missing.`);
    weights.set(info.name, tf.variable(t, info.trainable, undefined, 'float32'));
    t.dispose();
  }
  return { spec, weights };
}

export function disposeModel(model: Model): void {
  disposeFoldCache(model.weights);
  for (const t of model.weights.values()) t.dispose();
  model.weights.clear();
  for (const t of model.constCache?.values() ?? []) t.dispose();
  model.constCache?.clear();
}

export function trainableVariables(model: Model): tf.Variable[] {
  return expectedWeights(model.spec)
    .filter((i) => i.trainable)
    .map((i) => model.weights.get(i.name) as tf.Variable);
}

export function parameterCount(spec: GraphSpec, which: 'trainable' | 'all' = 'trainable'): number {
  return expectedWeights(spec)
    .filter((i) => which === 'all' || i.trainable)
    .reduce((a, i) => a + i.shape.reduce((x, y) => x * y, 1), 0);
}
