import * as tf from '@tensorflow/tfjs-core';
import type { GraphSpec } from '../nn/graph.ts';

/** The output node of every stage (`stageN/...`, the last node of each): where DAAA reads attention. */
export function stageOutputs(model: { spec: GraphSpec }): string[] {
  const last = new Map<string, string>();
  for (const n of model.spec.nodes) {
    const m = /^(stage\d+)\//.exec(n.name);
    if (m) last.set(m[1]!, n.name);
  }
  return [...last.values()];
}

/**
 * DAAA's attention map of one conv stage: the channel-pooled squared
 * activations sum_c a_c^2 of an NHWC activation, flattened to [B, H*W] and
 * L2-normalised per image, so a map says where a stage looks, not how strongly.
 */
export function attentionMap(activation: tf.Tensor4D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w] = activation.shape;
    const pooled = tf.reshape(tf.sum(tf.square(activation), 3), [b, h * w]);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(pooled), 1, true), eps));
    return tf.div(pooled, norm) as tf.Tensor2D;
  });
}

/**
 * The attention alignment term: for each conv stage, the L2 distance between
 * the normalised maps of a source image and of its translation, averaged over
 * the batch and then over the stages (attention transfer's ||q_s - q_t||_2).
 * `source[i]` and `translated[i]` are the same stage's activations.
 */
export function attentionAlignmentLoss(source: tf.Tensor4D[], translated: tf.Tensor4D[]): tf.Scalar {
  if (source.length !== translated.length || source.length === 0) {
    throw new Error(`attention alignment needs the same non-zero number of stages on both sides (source ${source.length}, translated ${translated.length})`);
  }
  return tf.tidy(() => {
    const terms = source.map((s, i) => {
      const t = translated[i]!;
      if (s.shape.join('x') !== t.shape.join('x')) {
        throw new Error(`attention alignment: stage ${i} shapes differ (source ${s.shape.join('x')}, translated ${t.shape.join('x')})`);
      }
      const d = tf.sub(attentionMap(s), attentionMap(t));
      return tf.mean(tf.sqrt(tf.add(tf.sum(tf.square(d), 1), 1e-12)));
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}
