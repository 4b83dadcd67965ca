/**
 * CPU time of a classifier's evaluation forward (ResNet-20/56 on 32x32, batch 128 by default) with
 * env switches read per call off (NAME=0) and on in alternate rounds of this one process, so a
 * shared machine's load hits both sides alike; also the largest logit difference between the two.
 * `npx tsx src-main/bench/engine/infer-ab-bench.ts [--models resnet20,resnet56] [--batch 128]
 *   [--rounds 12] [--per 4] [--toggle WORKBENCH_NATIVE_WINOGRAD[,OTHER]]`
 * Prints per model: median CPU ms per forward (user + system, all threads) off / on (min-max), the
 * ratio, and max |logit off - logit on| against max |logit|.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../engine/start.ts';
import { createModel } from '../../models/registry.ts';
import { forward } from '../../nn/forward.ts';
import { median } from './engine-bench.ts';
import { argValue as arg } from '../argv.ts';

const models = arg('models', 'resnet20,resnet56').split(',') as ('resnet20' | 'resnet56')[];
const batch = Number(arg('batch', '128'));
const rounds = Number(arg('rounds', '12'));
const per = Number(arg('per', '4'));
const toggles = arg('toggle', 'WORKBENCH_NATIVE_WINOGRAD').split(',');
const engine = await startEngine();
console.log(`${engine.backend}, ${engine.device}, ${engine.threads} threads; ${toggles.join(',')}=0 / on; batch ${batch}, ${rounds} rounds of ${per} forwards a side`);

const setSide = (on: boolean): void => {
  for (const t of toggles) {
    if (on) delete process.env[t];
    else process.env[t] = '0';
  }
};

for (const arch of models) {
  const model = createModel(arch, { inputSize: [32, 32], channels: 3, numClasses: 10 }, 1);
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const logits = (): Float32Array => {
    const y = tf.tidy(() => forward(model, x, { training: false }).logits);
    const v = y.dataSync() as Float32Array;
    y.dispose();
    return v;
  };
  const ms: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const out: Partial<Record<'off' | 'on', Float32Array>> = {};
  for (let r = -1; r < 2 * rounds; r++) {
    const side = r % 2 === 0 ? 'off' : 'on'; // round -1: warm-up of both
    setSide(side === 'on');
    if (r < 0) {
      setSide(false);
      out.off = logits();
      setSide(true);
      out.on = logits();
      continue;
    }
    const c0 = process.cpuUsage();
    for (let i = 0; i < per; i++) logits();
    const c = process.cpuUsage(c0);
    ms[side].push((c.user + c.system) / 1000 / per);
  }
  setSide(true);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < out.off!.length; i++) {
    diff = Math.max(diff, Math.abs(out.off![i]! - out.on![i]!));
    scale = Math.max(scale, Math.abs(out.off![i]!));
  }
  const fmt = (v: number[]): string => `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)})`;
  console.log(`${arch}: off ${fmt(ms.off)} ms, on ${fmt(ms.on)} ms, off/on x${(median(ms.off) / median(ms.on)).toFixed(3)}; max |logit diff| ${diff.toExponential(2)} of max |logit| ${scale.toFixed(3)}`);
  x.dispose();
  for (const w of model.weights.values()) w.dispose();
}
