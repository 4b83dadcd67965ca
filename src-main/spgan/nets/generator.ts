import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '../../nn/params.ts';
import { conv, upconv, instanceNorm } from '../../nn/layers.ts';

/**
 * CycleGAN ResNet generator (methods.md section 6): reflect-pad 3, 7x7 conv w,
 * two stride-2 3x3 convs to 4w, `blocks` residual blocks, two stride-2
 * transposed convs back to w, reflect-pad 3, 7x7 conv to 3 channels, tanh.
 * InstanceNorm + ReLU after every conv but the last. w = 64 and 9 blocks in the
 * paper. Input and output in [-1, 1], [B, H, W, 3] with H, W multiples of 4.
 */
export class ResnetGenerator {
  readonly params: ParamStore;
  readonly width: number;
  readonly blocks: number;

  constructor(name: string, width: number, blocks: number, seed: number) {
    this.params = new ParamStore(name, seed);
    this.width = width;
    this.blocks = blocks;
  }

  /**
   * Each layer runs in its own tidy and the previous layer's output is freed after use: under
   * a gradient tape only what a kernel saved for its gradient outlives a layer (the conv's raw
   * output and the bias sum go at once), so a taped forward holds about two tensors per layer
   * instead of four or five. Same values.
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.params;
    const w = this.width;
    let h = x;
    const layer = (f: (input: tf.Tensor4D) => tf.Tensor4D): void => {
      const next = tf.tidy(() => f(h));
      if (h !== x) h.dispose();
      h = next;
    };
    layer((t) => instanceNorm(conv(p, 'stem', t, w, 7, 1, { kind: 'reflect', size: 3 }), 'relu'));
    layer((t) => instanceNorm(conv(p, 'down1', t, w * 2, 3, 2, { kind: 'zero', size: 1 }), 'relu'));
    layer((t) => instanceNorm(conv(p, 'down2', t, w * 4, 3, 2, { kind: 'zero', size: 1 }), 'relu'));
    for (let i = 0; i < this.blocks; i++) {
      layer((t) => {
        const r = instanceNorm(conv(p, `res${i}/conv1`, t, w * 4, 3, 1, { kind: 'reflect', size: 1 }), 'relu');
        return tf.add(t, instanceNorm(conv(p, `res${i}/conv2`, r, w * 4, 3, 1, { kind: 'reflect', size: 1 })));
      });
    }
    layer((t) => instanceNorm(upconv(p, 'up1', t, w * 2), 'relu'));
    layer((t) => instanceNorm(upconv(p, 'up2', t, w), 'relu'));
    layer((t) => tf.tanh(conv(p, 'head', t, 3, 7, 1, { kind: 'reflect', size: 3 })));
    return h;
  }
}
