/**
 * A training loop through every engine kernel (convs with strides 1/2,
 * transposed conv, BatchNorm, gather) must not leak tensors, and must learn.
 */
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';
import { batchNormTrain } from '../../src-main/engine/ops/batch-norm.ts';

describe('training loop on the wasm engine', () => {
  it('100 steps leak no tensors and reduce the loss', async () => {
    const info = await initEngine({ backend: 'wasm' });
    expect(info.backend).toBe('wasm');
    const w1 = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, 'float32', 1));
    const g1 = tf.variable(tf.ones([8]));
    const b1 = tf.variable(tf.zeros([8]));
    const w2 = tf.variable(tf.randomNormal([4, 4, 4, 8], 0, 0.3, 'float32', 2)); // conv2dTranspose filter [kh,kw,out,in]
    const w3 = tf.variable(tf.randomNormal([1, 1, 4, 2], 0, 0.3, 'float32', 3));
    const vars = [w1, g1, b1, w2, w3];
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const target = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 5);
    const every2 = tf.tensor1d([0, 2, 4, 6], 'int32');
    const optimizer = tf.train.momentum(0.05, 0.9);
    const loss = (): tf.Scalar => {
      const h = tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'); // [4,4,4,8]
      const n = tf.relu(batchNormTrain(h, g1 as tf.Tensor1D, b1 as tf.Tensor1D, 1e-5).y);
      const up = tf.conv2dTranspose(n as tf.Tensor4D, w2 as tf.Tensor4D, [4, 8, 8, 4], 2, 'same'); // [4,8,8,4]
      const y = tf.conv2d(up, w3 as tf.Tensor4D, 1, 'valid'); // [4,8,8,2]
      const sub = tf.gather(tf.sub(y, target), every2, 1); // gather's gradient: UnsortedSegmentSum
      return tf.mean(tf.square(sub));
    };
    const first = optimizer.minimize(loss, true, vars)!;
    const firstLoss = first.dataSync()[0]!;
    first.dispose();
    const before = tf.memory().numTensors;
    let last = 0;
    for (let i = 0; i < 100; i++) {
      const l = optimizer.minimize(loss, true, vars)!;
      if (i === 99) last = l.dataSync()[0]!;
      l.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(firstLoss * 0.9);
    optimizer.dispose();
    tf.dispose([...vars, x, target, every2]);
  });
});
