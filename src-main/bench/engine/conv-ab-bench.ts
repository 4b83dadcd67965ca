/**
 * CPU time of evaluation's conv (the conv-tail op: 3x3, stride 1, 'same', bias + ReLU) at the ResNet
 * CIFAR stage shapes and their pruned widths, with an env switch read per call off (NAME=0) and on in
 * alternate rounds of this one process, so a shared machine's load hits both sides alike.
 * `npx tsx src-main/bench/engine/conv-ab-bench.ts [--toggle WORKBENCH_NATIVE_WINOGRAD] [--batches 128,32] [--stage1-only]`
 * Prints per shape: median CPU ms per call (user + system, all threads) off / on, each as GFLOP/s
 * (2 * N * OH * OW * 9 * Ci * Co per CPU second: the direct conv's FLOPs on both sides), the ratio and
 * the share of system time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../engine/start.ts';
import { convTail } from '../../engine/ops/conv-tail.ts';
import { median } from './engine-bench.ts';
import { argValue as arg } from '../argv.ts';

const toggle = arg('toggle', 'WORKBENCH_NATIVE_WINOGRAD');
const batches = arg('batches', '128,32').split(',').map(Number);
const shapes: [number, number, number][] = process.argv.includes('--stage1-only')
  ? [[32, 16, 16]]
  : [
      [32, 16, 16],
      [16, 32, 32],
      [8, 64, 64],
      [32, 11, 16],
      [32, 16, 12],
      [16, 22, 32],
      [8, 45, 64],
    ];
const engine = await startEngine();
console.log(`${engine.backend}, ${engine.device}, ${engine.threads} threads; ${toggle}=0 / on, median CPU ms per call`);

for (const b of batches)
  for (const [hw, ci, co] of shapes) {
    const x = tf.tidy(() => tf.relu(tf.randomNormal([b, hw, hw, ci], 0, 1, 'float32', 1))) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, ci, co], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.zeros([co]) as tf.Tensor1D;
    const f = (): void => tf.dispose(convTail({ x, filter, strides: 1, pad: 'same', bias, relu: true }));
    f(); // warm-up
    const t: Record<'off' | 'on', number[]> = { off: [], on: [] };
    let sys = 0;
    let all = 0;
    const reps = b >= 128 ? 10 : 30;
    for (let i = 0; i < 2 * reps; i++) {
      const on = i % 2 === 1;
      if (on) delete process.env[toggle];
      else process.env[toggle] = '0';
      const c0 = process.cpuUsage();
      for (let k = 0; k < 3; k++) f();
      const c = process.cpuUsage(c0);
      sys += c.system;
      all += c.user + c.system;
      t[on ? 'on' : 'off'].push((c.user + c.system) / 3000);
    }
    delete process.env[toggle];
    const flops = 2 * b * hw * hw * co * 9 * ci;
    const [off, on] = [median(t.off), median(t.on)];
    const rate = (ms: number): string => `${(flops / ms / 1e6).toFixed(0)} GFLOP/s`;
    console.log(`batch ${b}, ${hw}x${hw}, ${ci} -> ${co}: off ${off.toFixed(3)} ms (${rate(off)}), on ${on.toFixed(3)} ms (${rate(on)}), off/on x${(off / on).toFixed(2)}; system ${((100 * sys) / all).toFixed(0)}%`);
    tf.dispose([x, filter, bias]);
  }
