/**
 * The fused SGD-with-momentum update (engine/ops/sgd-momentum.ts, native `EngineSgdMomentumUpdate`):
 * - train/sgd.ts' step (PyTorch semantics: weight decay, Nesterov, the first step's buffer = g,
 *   masked weights through the ops) gives the weights and buffers of its TF.js ops
 *   (`WORKBENCH_NATIVE_SGD=0`) bit for bit, over several steps, with the kernel running on one side only;
 * - `fusedMomentum` equals TF.js' MomentumOptimizer bit for bit (plain and Nesterov);
 * - no tensor is leaked per step, and a wrong shape is refused with the input's name.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { SGD_MOMENTUM_UPDATE, fusedMomentum, sgdMomentumUpdate } from '../../src-main/engine/ops/sgd-momentum.ts';
import { Sgd, type SgdOptions } from '../../src-main/train/sgd.ts';
import { startWasmNative, tensorBits } from './wasm-native.ts';


const native = await startWasmNative('EngineSgdMomentumUpdate', () => tf.getKernel(SGD_MOMENTUM_UPDATE, 'wasm') != null, ['WORKBENCH_NATIVE_SGD']);

// A conv filter (several 16384-element chunks: the kernel's threads), a BatchNorm vector, a dense weight.
const shapes: Record<string, number[]> = { conv: [3, 3, 64, 64], gamma: [16], dense: [64, 10] };

function makeParams(): Map<string, tf.Variable> {
  return new Map(Object.entries(shapes).map(([name, s], i) => [name, tf.variable(tf.randomNormal(s, 0, 0.5, 'float32', 100 + i), true, `sgd-test-${name}-${Math.random()}`)]));
}
const gradsOf = (step: number): Map<string, tf.Tensor> =>
  new Map(Object.entries(shapes).map(([name, s], i) => [name, tf.randomNormal(s, 0, 1, 'float32', 1000 + 10 * step + i)]));

/** The kernels one call of f ran. */
async function kernelsOf(f: () => void): Promise<Set<string>> {
  const p = await tf.profile(() => {
    f();
    return [];
  });
  return new Set(p.kernels.map((k) => k.name));
}

describe.skipIf(!native && !process.env.CI)('fused SGD with momentum', () => {
  it.each<[SgdOptions, boolean]>([
    [{ momentum: 0.9, nesterov: false, weightDecay: 0 }, false],
    [{ momentum: 0.9, nesterov: false, weightDecay: 5e-4 }, false],
    [{ momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, false],
    [{ momentum: 0.85, nesterov: true, weightDecay: 1e-4 }, true],
  ])('train/sgd.ts %j (masked weight: %s): fused and ops give the same bits over 3 steps', async (options, masked) => {
    const run = async (fused: boolean): Promise<{ weights: number[][]; buffers: number[][]; kernels: Set<string> }> => {
      if (fused) delete process.env.WORKBENCH_NATIVE_SGD;
      else process.env.WORKBENCH_NATIVE_SGD = '0';
      const params = makeParams();
      const sgd = new Sgd(options);
      if (masked) sgd.setMasks(new Map([['conv', Float32Array.from({ length: 64 }, (_, i) => (i % 5 === 0 ? 0 : 1))]]));
      const kernels = new Set<string>();
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const grads = gradsOf(step);
        for (const k of await kernelsOf(() => sgd.step(params, grads, 0.1 / (step + 1)))) kernels.add(k);
        tf.dispose([...grads.values()]);
        // After the first step (buffers created) no step adds a tensor.
        if (step === 0) expect(tf.memory().numTensors).toBe(before + params.size);
      }
      expect(tf.memory().numTensors).toBe(before + params.size);
      const out = { weights: [...params.values()].map(tensorBits), buffers: [...sgd.buffers.values()].map(tensorBits), kernels };
      sgd.dispose();
      tf.dispose([...params.values()]);
      return out;
    };
    const on = await run(true);
    const off = await run(false);
    expect(on.kernels.has(SGD_MOMENTUM_UPDATE)).toBe(true);
    expect(off.kernels.has(SGD_MOMENTUM_UPDATE)).toBe(false);
    expect(on.weights).toEqual(off.weights);
    expect(on.buffers).toEqual(off.buffers);
    // The steps moved the weights.
    const start = makeParams();
    expect(on.weights[0]).not.toEqual(tensorBits(start.get('conv')!));
    if (masked) expect(on.kernels.has('Multiply')).toBe(true); // the masked weight ran the ops
    tf.dispose([...start.values()]);
  });

  it.each([false, true])('fusedMomentum equals tf.train.momentum bit for bit (nesterov %s)', async (nesterov) => {
    const run = async (optimizer: tf.Optimizer): Promise<{ weights: number[][]; kernels: Set<string>; state: number[][] }> => {
      const params = makeParams();
      const before = tf.memory().numTensors;
      const kernels = new Set<string>();
      for (let step = 0; step < 3; step++) {
        const grads = gradsOf(step);
        const list = [...grads].map(([k, g]) => ({ name: params.get(k)!.name, tensor: g }));
        for (const k of await kernelsOf(() => optimizer.applyGradients(list))) kernels.add(k);
        tf.dispose([...grads.values()]);
      }
      expect(tf.memory().numTensors).toBe(before + params.size); // one accumulator per variable
      const state = (await optimizer.getWeights()).slice(1).map((w) => tensorBits(w.tensor));
      const out = { weights: [...params.values()].map(tensorBits), kernels, state };
      optimizer.dispose();
      tf.dispose([...params.values()]);
      return out;
    };
    const fused = await run(fusedMomentum(0.1, 0.9, nesterov));
    const plain = await run(tf.train.momentum(0.1, 0.9, nesterov));
    expect(fused.kernels.has(SGD_MOMENTUM_UPDATE)).toBe(true);
    expect(plain.kernels.has(SGD_MOMENTUM_UPDATE)).toBe(false);
    expect(fused.weights).toEqual(plain.weights);
    expect(fused.state).toEqual(plain.state);
    expect(fused.state.length).toBe(Object.keys(shapes).length);
  });

  it('refuses a gradient of another size, naming it', () => {
    const w = tf.zeros([4, 4]);
    const g = tf.zeros([4, 3]);
    expect(() => sgdMomentumUpdate(w, w, g, { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false, first: false })).toThrow(/gradient must be float32 with 16 elements/);
    tf.dispose([w, g]);
  });
});
