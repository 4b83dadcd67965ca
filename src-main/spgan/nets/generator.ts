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

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.params;
    const w = this.width;
    let h = instanceNorm(conv(p, 'stem', x, w, 7, 1, { kind: 'reflect', size: 3 }), 'relu');
    h = instanceNorm(conv(p, 'down1', h, w * 2, 3, 2, { kind: 'zero', size: 1 }), 'relu');
    h = instanceNorm(conv(p, 'down2', h, w * 4, 3, 2, { kind: 'zero', size: 1 }), 'relu');
    for (let i = 0; i < this.blocks; i++) {
      let r = instanceNorm(conv(p, `res${i}/conv1`, h, w * 4, 3, 1, { kind: 'reflect', size: 1 }), 'relu');
      r = instanceNorm(conv(p, `res${i}/conv2`, r, w * 4, 3, 1, { kind: 'reflect', size: 1 }));
      h = tf.add(h, r);
    }
    h = instanceNorm(upconv(p, 'up1', h, w * 2), 'relu');
    h = instanceNorm(upconv(p, 'up2', h, w), 'relu');
    return tf.tanh(conv(p, 'head', h, 3, 7, 1, { kind: 'reflect', size: 3 }));
  }
}
