import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '../../nn/params.ts';
import { conv, instanceNorm, leaky } from '../../nn/layers.ts';

/**
 * PatchGAN discriminator (pix2pix / CycleGAN, n_layers 3 = the 70x70 receptive
 * field): 4x4 convs w, 2w, 4w (stride 2) and 8w (stride 1), LeakyReLU 0.2,
 * InstanceNorm on all but the first, then a 4x4 conv to one logit per patch.
 * `layers` < 3 drops stride-2 stages so 32x16 test images still leave patches.
 * Output [B, h', w', 1], raw scores for the least-squares loss.
 */
export class PatchDiscriminator {
  readonly params: ParamStore;
  readonly width: number;
  readonly layers: number;

  constructor(name: string, width: number, layers: number, seed: number) {
    this.params = new ParamStore(name, seed);
    this.width = width;
    this.layers = layers;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.params;
    const pad = { kind: 'zero', size: 1 } as const;
    let h = leaky(conv(p, 'conv0', x, this.width, 4, 2, pad));
    let mult = 1;
    for (let n = 1; n < this.layers; n++) {
      mult = Math.min(2 ** n, 8);
      h = instanceNorm(conv(p, `conv${n}`, h, this.width * mult, 4, 2, pad), 'leaky');
    }
    mult = Math.min(2 ** this.layers, 8);
    h = instanceNorm(conv(p, `conv${this.layers}`, h, this.width * mult, 4, 1, pad), 'leaky');
    return conv(p, 'head', h, 1, 4, 1, pad);
  }
}
