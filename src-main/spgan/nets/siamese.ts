import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '../../nn/params.ts';
import { conv, dense, leaky, l2Normalize } from '../../nn/layers.ts';

/**
 * SPGAN's Siamese embedding net: four stages of (4x4 conv stride 2, LeakyReLU
 * 0.2, 2x2 max-pool) with w, 2w, 4w, 8w channels, FC 128 + LeakyReLU + dropout
 * 0.5, FC 64, L2-normalised. Convs and pools use 'same' padding so every input
 * size (256x128 down to 32x16) ends with at least one cell per axis instead of
 * vanishing after eight halvings.
 */
export class SiameseNet {
  readonly params: ParamStore;
  readonly width: number;
  readonly embeddingDim = 64;
  private dropoutSeed: number;

  constructor(name: string, width: number, seed: number) {
    this.params = new ParamStore(name, seed);
    this.width = width;
    this.dropoutSeed = seed * 7919;
  }

  /** The seed the next dropout mask is drawn with: a checkpoint keeps it, so a resumed run draws the same masks. */
  get nextDropoutSeed(): number {
    return this.dropoutSeed;
  }

  set nextDropoutSeed(seed: number) {
    this.dropoutSeed = seed;
  }

  /** [B, H, W, 3] -> [B, 64] unit-norm rows. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const p = this.params;
    let h = x;
    for (let s = 0; s < 4; s++) {
      h = leaky(conv(p, `conv${s}`, h, this.width * 2 ** s, 4, 2, 'same'));
      h = tf.maxPool(h, 2, 2, 'same');
    }
    const [b, hh, ww, c] = h.shape;
    let f = tf.reshape(h, [b, hh * ww * c]) as tf.Tensor2D; // [B,h,w,C] -> [B,h*w*C]
    f = tf.leakyRelu(dense(p, 'fc1', f, 128), 0.2);
    if (training) f = tf.dropout(f, 0.5, undefined, this.dropoutSeed++) as tf.Tensor2D;
    return l2Normalize(dense(p, 'fc2', f, this.embeddingDim));
  }
}
