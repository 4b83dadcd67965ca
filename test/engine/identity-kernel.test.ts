/**
 * The wasm backend's Identity shares its input's data instead of copying it (TF.js clones every
 * tensor a kernel saves for its gradient through Identity). Sharing must keep value semantics:
 * a clone outlives its source, survives a Variable's assign, and frees the buffer only with the
 * last reference.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';

describe('wasm Identity without a copy', () => {
  beforeAll(async () => {
    expect((await initEngine({ backend: 'wasm' })).backend).toBe('wasm');
  });

  it.each([
    ['float32', [2, 3, 4]],
    ['int32', [5]],
    ['bool', [3, 1]],
  ] as const)('%s %j: clone shares the buffer, outlives its source and frees it last', async (dtype, shape) => {
    const before = tf.memory();
    const size = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size }, (_, i) => (dtype === 'bool' ? i % 2 : i - 2));
    const x = tf.tensor(values, [...shape], dtype);
    const buffers = tf.memory().numDataBuffers;
    const c = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers); // no new buffer: shared
    expect(c.dtype).toBe(dtype);
    expect(c.shape).toEqual(shape);
    x.dispose();
    expect(Array.from(await c.data())).toEqual(values);
    c.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('a clone keeps the value a Variable had before assign', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const c = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(await c.data())).toEqual([1, 2, 3]);
    expect(Array.from(await v.data())).toEqual([7, 8, 9]);
    tf.dispose([v, c]);
  });

  it('gradients through saved (cloned) tensors are unchanged and leak nothing over repeated steps', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2));
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.relu(tf.conv2d(x, w as tf.Tensor4D, 1, 'same')))) as tf.Scalar;
    const grad = (): Float32Array => tf.tidy(() => tf.grad(() => loss())(w).dataSync() as Float32Array);
    const first = grad();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) expect(grad()).toEqual(first); // bit-for-bit on the same backend
    expect(tf.memory().numTensors).toBe(tensors);
    // The cpu backend's gradient of the same loss (its Identity always shared).
    const xs = await x.data();
    const ws = await w.data();
    await tf.setBackend('cpu');
    const reference = tf.tidy(() => {
      const xc = tf.tensor4d(xs, x.shape);
      const wc = tf.tensor4d(ws, w.shape as [number, number, number, number]);
      return tf.grad((wv: tf.Tensor) => tf.mean(tf.square(tf.relu(tf.conv2d(xc, wv as tf.Tensor4D, 1, 'same')))) as tf.Scalar)(wc).dataSync() as Float32Array;
    });
    await tf.setBackend('wasm');
    first.forEach((v, i) => expect(v).toBeCloseTo(reference[i]!, 4));
    tf.dispose([x, w]);
  });
});
