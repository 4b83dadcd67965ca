import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../nn/forward.ts';
import { forward } from '../nn/forward.ts';
import type { GraphSpec } from '../nn/graph.ts';
import { l2Normalize } from '../nn/layers.ts';

/**
 * IDE ("ID-discriminative embedding"): an ImageNet-style ResNet from the model
 * registry trained as a classifier over the training identities; the
 * descriptor is the L2-normalised pooled feature before the classifier
 * (pool5, 2048-d for ResNet-50). LMP instead max-pools the last feature map
 * over `parts` horizontal stripes and concatenates them (then L2-normalises).
 */

// ImageNet statistics: registry ResNets follow torchvision's input convention.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** uint8 [n,H,W,3] -> float [n,H,W,3] normalised like torchvision, optionally mirrored per image. */
export function ideInput(pixels: Uint8Array, n: number, h: number, w: number, flips?: boolean[]): tf.Tensor4D {
  return tf.tidy(() => {
    let x = tf.div(tf.tensor4d(pixels, [n, h, w, 3], 'float32'), 255) as tf.Tensor4D;
    if (flips && flips.some(Boolean)) {
      const mask = tf.tensor4d(flips.map((f) => (f ? 1 : 0)), [n, 1, 1, 1]);
      x = tf.add(tf.mul(tf.reverse(x, 2), mask), tf.mul(x, tf.sub(1, mask))) as tf.Tensor4D; // reverse the W axis of [n,H,W,3]
    }
    return tf.div(tf.sub(x, tf.tensor1d(MEAN)), tf.tensor1d(STD)) as tf.Tensor4D;
  });
}

/** The spec with its `features` output moved from the pooled vector to the last feature map (for LMP). */
export function featureMapSpec(spec: GraphSpec): GraphSpec {
  const poolName = spec.outputs.features;
  const pool = spec.nodes.find((n) => n.name === poolName);
  if (!pool || pool.op !== 'globalAvgPool') throw new Error(`Model ${spec.arch} has no global pooling node to take part features from.`);
  return { ...spec, outputs: { ...spec.outputs, features: pool.input } };
}

/** Max over `parts` horizontal stripes of [B,H,W,C] -> [B, parts*C]; stripes split H as evenly as possible. */
export function localMaxPool(map: tf.Tensor4D, parts: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [, h] = map.shape;
    const stripes: tf.Tensor2D[] = [];
    for (let p = 0; p < parts; p++) {
      const top = Math.floor((p * h) / parts);
      const bottom = Math.max(top + 1, Math.floor(((p + 1) * h) / parts));
      stripes.push(tf.max(tf.slice(map, [0, top, 0, 0], [-1, bottom - top, -1, -1]), [1, 2]) as tf.Tensor2D); // [B,h_p,W,C] -> [B,C]
    }
    return tf.concat(stripes, 1) as tf.Tensor2D;
  });
}

/** L2-normalised descriptors [B, D] of a batch, in inference mode. */
export function ideFeatures(model: Model, x: tf.Tensor4D, lmpParts: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (lmpParts > 0) {
      const mapModel: Model = { spec: featureMapSpec(model.spec), weights: model.weights };
      const map = forward(mapModel, x, { training: false }).features as unknown as tf.Tensor4D;
      return l2Normalize(localMaxPool(map, lmpParts));
    }
    const f = forward(model, x, { training: false }).features;
    if (!f) throw new Error(`Model ${model.spec.arch} exposes no pooled features.`);
    return l2Normalize(f);
  });
}

/** Descriptor length: the pooled channels, times the parts for LMP. */
export function featureDim(spec: GraphSpec, lmpParts: number): number {
  const fc = spec.nodes.find((n) => n.name === spec.outputs.logits);
  const channels = fc && fc.op === 'dense' ? fc.inFeatures : 0;
  return lmpParts > 0 ? channels * lmpParts : channels;
}
