/**
 * `Mean` over consecutive middle axes on the addon (native/kernels/spatial-mean.ts: a ResNet's
 * global average pool without the wasm kernel's transposed copy) gives the wasm kernel's bits
 * (`WORKBENCH_NATIVE_MEAN=0`), with keepDims, negative axes and shapes that are not multiples of
 * a vector; other axes go to the wasm kernel. The gradient is TF.js' own (a broadcast divide).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon } from '../../src-main/engine/native/addon.ts';
import { meanExtents } from '../../src-main/engine/native/kernels/spatial-mean.ts';
import { startWasmNative, tensorBits } from './wasm-native.ts';

const SWITCH = 'WORKBENCH_NATIVE_MEAN';

const native = await startWasmNative('spatialMean', () => loadNativeAddon()?.spatialMean != null, [SWITCH]);

describe('which Means the addon takes', () => {
  it.each([
    [[128, 8, 8, 64], [1, 2], { outer: 128, mid: 64, inner: 64 }],
    [[2, 3, 5, 7], [-3, -2], { outer: 2, mid: 15, inner: 7 }],
    [[4, 5, 6], 1, { outer: 4, mid: 5, inner: 6 }],
    [[4, 5, 6], [0, 1], { outer: 1, mid: 20, inner: 6 }],
    [[4, 5, 6], 2, null],
    [[4, 5, 6], [0, 2], null],
    [[4, 5, 6], [0, 1, 2], null],
  ] as const)('%j over %j', (shape, axis, expected) => {
    expect(meanExtents(shape, axis as number | number[])).toEqual(expected);
  });
});

describe.skipIf(!native && !process.env.CI)('native spatial mean', () => {
  it.each([
    [[128, 8, 8, 64], [1, 2], false],
    [[3, 7, 5, 13], [1, 2], true],
    [[2, 3, 5, 7], [-3, -2], false],
    [[4, 33, 6], 1, true],
    [[9, 17], 0, false],
  ] as const)('%j over %j (keepDims %s) equals the wasm kernel bit for bit', (shape, axis, keepDims) => {
    const x = tf.randomNormal([...shape], 0.5, 2, 'float32', 3);
    const before = tf.memory().numTensors;
    const on = tf.mean(x, axis as number | number[], keepDims);
    process.env[SWITCH] = '0';
    const off = tf.mean(x, axis as number | number[], keepDims);
    expect(on.shape).toEqual(off.shape);
    expect(tensorBits(on)).toEqual(tensorBits(off));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, on, off]);
  });

  it('the addon function alone gives the bits of the wasm kernel', () => {
    const x = tf.randomNormal([5, 6, 7, 24], 0.5, 2, 'float32', 11);
    process.env[SWITCH] = '0';
    const off = tf.mean(x, [1, 2]);
    const y = new Float32Array(5 * 24);
    loadNativeAddon()!.spatialMean(x.dataSync() as Float32Array, 0, y, 0, 5, 42, 24);
    expect(Array.from(new Uint32Array(y.buffer))).toEqual(tensorBits(off));
    tf.dispose([x, off]);
  });

  it('its gradient is the broadcast divide, as before', () => {
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 5);
    const grad = (): number[] => tensorBits(tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.mean(t, [1, 2]))))(x));
    const on = grad();
    process.env[SWITCH] = '0';
    expect(on).toEqual(grad());
    x.dispose();
  });
});
