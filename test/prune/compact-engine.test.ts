/**
 * Hard-pruned models on the engine's evaluation path: folded convs whose channel scatter,
 * constant-input map, residual add and ReLU run inside the conv (the native conv-tail
 * kernel, engine/ops/conv-tail.ts, when the addon is built), checked against the masked
 * model computed with plain ops on the cpu backend.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../../src-main/engine/init.ts';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { CONV_TAIL } from '../../src-main/engine/ops/conv-tail.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { applySfpMask } from '../../src-main/prune/sfp-mask.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { compactModel } from '../../src-main/prune/compact.ts';
import { randomiseBatchNorm, variants } from './fixtures.ts';

describe('hard-pruned models on the wasm engine', () => {
  beforeAll(async () => {
    expect((await initEngine({ backend: 'wasm' })).backend).toBe('wasm');
    // Under CI the addon is required (test/engine/native-kernels.test.ts says why it is missing).
    if (loadNativeAddon()) expect(tf.getKernel(CONV_TAIL, 'wasm')).toBeDefined();
  });

  it.each(variants().map(([name, options]) => [name, { ...options, inputSize: [32, 32] as [number, number] }] as const))(
    '%s (%j): compact on wasm equals masked on cpu',
    async (name, options) => {
      await tf.setBackend('cpu');
      const model = createModel(name, options, 3);
      randomiseBatchNorm(model, 13);
      applySfpMask(model, selectLayers(model.spec, 0.4));
      const { model: compact } = compactModel(model);
      const x = tf.randomNormal([3, 32, 32, options.channels!], 0, 1, 'float32', 6) as tf.Tensor4D;
      const expected = tf.tidy(() => forward(model, x, { training: false }).logits.dataSync());
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const actual = tf.tidy(() => forward(compact, x, { training: false }).logits.dataSync());
      const scale = Math.max(...expected.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      expect(Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!))) / scale).toBeLessThan(1e-4);
      // Folded weights and constant maps are cached with the model; nothing else stays.
      disposeModel(compact);
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
      disposeModel(model);
      x.dispose();
    },
  );
});
