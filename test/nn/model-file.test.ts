import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { saveModel, loadModel } from '../../src-main/nn/model-file.ts';

const small = { inputSize: [8, 8] as [number, number], channels: 1, numClasses: 3, widthMultiplier: 0.25 };

describe('model file', () => {
  let dir = '';
  beforeAll(async () => {
    await useCpu();
  });

  type Corruption = [string, (d: string) => void, RegExp];
  const corruptions: Corruption[] = [
    ['a flipped byte in the weights', (d) => {
      const p = path.join(d, 'weights.bin');
      const b = readFileSync(p);
      b[10] = b[10]! ^ 0xff;
      writeFileSync(p, b);
    }, /checksum mismatch/],
    ['a truncated weights file', (d) => {
      const p = path.join(d, 'weights.bin');
      writeFileSync(p, readFileSync(p).subarray(0, 100));
    }, /truncated/],
    ['a model.json that is not JSON', (d) => writeFileSync(path.join(d, 'model.json'), '{"format": "workb'), /not valid JSON/],
    ['an unknown node op', (d) => {
      const p = path.join(d, 'model.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace('"op":"relu"', '"op":"gelu"'));
    }, /Invalid graph spec at "nodes\.\d+\.op"/],
    ['an unknown architecture', (d) => {
      const p = path.join(d, 'model.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace('"arch":"resnet20"', '"arch":"vgg16"'));
    }, /unknown architecture "vgg16"/],
    ['a wrong weight shape', (d) => {
      const p = path.join(d, 'model.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace('"name":"fc/bias","shape":[3]', '"name":"fc/bias","shape":[4]'));
    }, /"fc\/bias" has shape \[4\]/],
  ];

  it.each(corruptions)('refuses %s with a clear message and creates no tensor', async (_label, corrupt, message) => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-file-'));
    try {
      const model = createModel('resnet20', small, 1);
      await saveModel(model, dir);
      disposeModel(model);
      corrupt(dir);
      const before = tf.memory().numTensors;
      expect(() => loadModel(dir, { knownArchs: ['resnet20'] })).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder without a model', () => {
    expect(() => loadModel(os.tmpdir() + '/does-not-exist-wb')).toThrow(/no model file here/);
  });
});
