/**
 * CPU time of each native BatchNorm kernel at the ResNet CIFAR stage shapes (batch 128), with an
 * env switch read per call off (NAME=0) and on in alternate calls of this one process, so a
 * shared machine's load hits both sides alike.
 * `npx tsx src-main/bench/engine/bn-kernel-bench.ts [--toggle WORKBENCH_NATIVE_BN_FIXED_C] [--reps 30]`
 * Prints per kernel and shape: median CPU ms per call (user + system, all threads) off / on, and
 * the same for a plain copy of the map (Relu) as the memory-traffic baseline.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../engine/start.ts';
import { BN_MOMENTS, BN_RELU_GRAD, BN_RELU_GRAD_MASKED, BN_SCALE_SHIFT_ADD_RELU, BN_SCALE_SHIFT_RELU } from '../../engine/kernels/batch-norm-kernels.ts';
import { median } from './engine-bench.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const toggle = arg('toggle', 'WORKBENCH_NATIVE_BN_FIXED_C');
const reps = Number(arg('reps', '30'));
const engine = await startEngine();
console.log(`${engine.backend}, ${engine.device}, ${engine.threads} threads; ${toggle}=0 / on, median CPU ms per call of ${reps}`);
if (tf.getKernel(BN_RELU_GRAD_MASKED, tf.getBackend()) == null) throw new Error('the native BatchNorm kernels are not registered (no addon?)');

const run = (name: string, inputs: tf.NamedTensorMap) => (): void => tf.dispose(tf.engine().runKernel(name, inputs) as tf.Tensor | tf.Tensor[]);
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

for (const shape of [
  [128, 32, 32, 16],
  [128, 16, 16, 32],
  [128, 8, 8, 64],
]) {
  const c = shape[3]!;
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const y = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 3));
  const scale = tf.ones([c]);
  const shift = tf.zeros([c]);
  const gradInputs = { dy, x, mean: shift, invstd: scale, gamma: scale, y };
  const cases: [string, () => void][] = [
    ['copy (Relu)', () => tf.dispose(tf.relu(x))],
    [BN_MOMENTS, run(BN_MOMENTS, { x })],
    [BN_SCALE_SHIFT_RELU, run(BN_SCALE_SHIFT_RELU, { x, scale, shift })],
    [BN_SCALE_SHIFT_ADD_RELU, run(BN_SCALE_SHIFT_ADD_RELU, { x, scale, shift, residual: dy })],
    [BN_RELU_GRAD, run(BN_RELU_GRAD, gradInputs)],
    [BN_RELU_GRAD_MASKED, run(BN_RELU_GRAD_MASKED, gradInputs)],
  ];
  for (const [name, f] of cases) {
    f(); // warm-up
    const t: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let i = 0; i < 2 * reps; i++) {
      const side = i % 2 === 0 ? 'off' : 'on';
      if (side === 'off') process.env[toggle] = '0';
      else delete process.env[toggle];
      t[side].push(cpuMs(f));
    }
    delete process.env[toggle];
    const [off, on] = [median(t.off), median(t.on)];
    console.log(`${JSON.stringify(shape).padEnd(16)} ${name.padEnd(32)} ${off.toFixed(3).padStart(7)} / ${on.toFixed(3).padStart(7)} ms  x${(off / on).toFixed(2)}`);
  }
  tf.dispose([x, dy, y, scale, shift]);
}
