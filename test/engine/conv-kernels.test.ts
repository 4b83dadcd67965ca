/**
 * Gradient checks: our wasm training kernels against the cpu backend's
 * reference kernels, on random inputs over the shapes our models use.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { caseGrid, randomArray, type Case } from './conv-cases.ts';

// Odd and even sizes: stride 2 over an odd size leaves trailing pixels unused.
const cases = caseGrid((k, stride, pad) => [
  { x: [2, 9, 9, 3], k, co: 4, stride, pad },
  { x: [3, 8, 10, 5], k, co: 2, stride, pad },
]);

/** dx and dw of conv2d(x, w) for the given dy, on the active backend. */
function convGrads(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array, dyShape: number[]): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, [c.k, c.k, c.x[3], c.co]);
    const dyt = tf.tensor4d(dy, dyShape as [number, number, number, number]);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    const [dx, dw] = tf.grads(f)([xt, wt], dyt);
    // conv2dTranspose runs Conv2DBackpropInput forward (the GAN's upsampling path).
    const y = tf.conv2dTranspose(dyt, wt, c.x, c.stride, c.pad);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
  });
}

/**
 * Float32 tolerance. Both backends sum K products in float32, each in its
 * own order; recursive summation of K terms errs by at most K*eps*sum|terms|
 * (Higham, Accuracy and Stability, 2nd ed., eq. 4.4), so two implementations
 * differ by at most 2*K*eps*sum|terms|. sum|terms| per output element is the
 * same gradient computed on |x|, |w|, |dy| (all products become positive).
 */
function within(actual: Float32Array, expected: Float32Array, absBound: Float32Array, terms: number): number {
  const eps = 2 ** -23;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const tol = 2 * terms * eps * absBound[i]! + 1e-7;
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / tol);
  }
  return worst; // <= 1 means every element is within its bound
}

describe('wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    const info = await initEngine({ backend: 'wasm' });
    expect(info.backend).toBe('wasm');
  });

  it.each(cases.map((c) => [`x${c.x.join('x')} k${c.k} s${c.stride} ${JSON.stringify(c.pad)}`, c] as const))('%s', async (_name, c) => {
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.co]) as tf.Tensor4D, c.stride, c.pad).shape);
    const seed = c.k * 100 + c.stride * 10 + c.x[1];
    const x = randomArray(c.x.reduce((a, b) => a * b), seed);
    const w = randomArray(c.k * c.k * c.x[3] * c.co, seed + 1);
    const dy = randomArray(outShape.reduce((a, b) => a * b), seed + 2);
    const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

    tf.setBackend('wasm');
    const got = convGrads(c, x, w, dy, outShape);
    await tf.setBackend('cpu');
    const want = convGrads(c, x, w, dy, outShape);
    const bound = convGrads(c, abs(x), abs(w), abs(dy), outShape);
    await tf.setBackend('wasm');

    // Terms per element: dW sums over N*OH*OW, dx (and the transpose) over KH*KW*Co.
    const filterTerms = outShape[0]! * outShape[1]! * outShape[2]!;
    const inputTerms = c.k * c.k * c.co;
    expect(within(got.dw, want.dw, bound.dw, filterTerms)).toBeLessThanOrEqual(1);
    expect(within(got.dx, want.dx, bound.dx, inputTerms)).toBeLessThanOrEqual(1);
    expect(within(got.y, want.y, bound.y, inputTerms)).toBeLessThanOrEqual(1);
  });
});

describe('wasm UnsortedSegmentSum matches the cpu backend', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it.each([
    ['gather grad, axis 1, repeated indices', [2, 6, 5, 3], [0, 2, 2, 5], 1],
    ['gather grad, axis 0', [7, 4], [6, 0, 3, 3, 1], 0],
  ] as const)('%s', async (_name, shape, indices, axis) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const xs = randomArray(size, 11);
    const run = (): Float32Array =>
      tf.tidy(() => {
        const x = tf.tensor(xs, [...shape]);
        const idx = tf.tensor1d([...indices], 'int32');
        const f = (a: tf.Tensor): tf.Tensor => tf.mul(tf.gather(a, idx, axis), tf.gather(a, idx, axis));
        return tf.grad(f)(x).dataSync() as Float32Array;
      });
    await tf.setBackend('wasm');
    const got = run();
    await tf.setBackend('cpu');
    const want = run();
    await tf.setBackend('wasm');
    // Sums of at most 2 float32 terms per element: exact up to one rounding.
    expect(Math.max(...Array.from(got).map((v, i) => Math.abs(v - want[i]!)))).toBeLessThanOrEqual(1e-6);
    expect(Array.from(want).some((v) => v !== 0)).toBe(true);
  });
});
