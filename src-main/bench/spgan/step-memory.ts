/**
 * Peak memory of the SPGAN training step at the engine bench's size (`spgan-step`: 128x64,
 * batch 4), one gradient path per process (the wasm heap never shrinks, so a second path in
 * the same process would read the first one's heap):
 *   - peak live tensor bytes during a step (tf.profile: the engine's byte count after each kernel);
 *   - the process's peak resident memory over the steps (Linux VmHWM, reset after set-up) and before them.
 * `npx tsx src-main/bench/spgan/step-memory.ts [--path lean|tape] [--steps 3]`
 * (lean: step-gradients.ts' default; tape: one TF.js tape per loss, as `WORKBENCH_SPGAN_LEAN=0`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../engine/start.ts';
import { createSpganBenchModel } from '../engine/engine-bench.ts';
import { peakRssMiB, resetPeakRss } from '../engine/peak-memory.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const path = arg('path', 'lean');
if (path !== 'lean' && path !== 'tape') throw new Error(`--path must be lean or tape, got ${path}`);
const steps = Number(arg('steps', '3'));
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${arg('steps', '')}`);
const MiB = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

const engine = await startEngine();
const { model, a, b } = await createSpganBenchModel('spgan-step', 4);
const setUp = peakRssMiB();
resetPeakRss();
const peaks: number[] = [];
for (let i = 0; i < steps; i++) {
  const info = await tf.profile(() => void model.trainStep(a, b, true, path));
  peaks.push(info.peakBytes);
}
console.log(`${engine.backend}, ${engine.device}, ${engine.threads} threads; path ${path}, ${steps} steps`);
console.log(`peak live tensors per step: ${peaks.map(MiB).join(', ')} MiB (live between steps ${MiB(tf.memory().numBytes)} MiB)`);
console.log(`peak resident: ${peakRssMiB().toFixed(0)} MiB during the steps, ${setUp.toFixed(0)} MiB after set-up`);
tf.dispose([a, b]);
model.dispose();
