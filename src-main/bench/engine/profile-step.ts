/**
 * Where one training step of a bench model spends its time, per kernel (tf.profile kernel
 * times: each kernel's synchronous run on the CPU backends), grouped by kernel name and, with
 * --shapes, by kernel and input shapes.
 * `npx tsx src-main/bench/engine/profile-step.ts [--model resnet20] [--batch 128] [--steps 3] [--shapes] [--top 25] [--tape]`
 * The step is the hand-written backward pass (nn/backward.ts) the trainer runs; `--tape` profiles TF.js' tape over forward() instead.
 * (`--model spgan-step`: the SPGAN bench model's trainStep, batch 4 unless --batch says otherwise)
 * With `--toggle NAME[,NAME2...]` (env switches read per call, e.g. WORKBENCH_NATIVE_IMPLICIT)
 * it instead times steps alternately with NAME=0 (all of them) and unset, in this one process: an A/B that
 * a shared machine's load hits on both sides alike, in wall time and in CPU time (user + system
 * of all threads: what an oversubscribed machine does not distort).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedMomentum } from '../../engine/ops/sgd-momentum.ts';
import { startEngine } from '../../engine/start.ts';
import { createModel } from '../../models/registry.ts';
import { forward, updateRunningStats } from '../../nn/forward.ts';
import { trainableVariables } from '../../nn/init.ts';
import { trainGradients } from '../../nn/backward.ts';
import { benchModelShapes, createSpganBenchModel, median } from './engine-bench.ts';
import type { EngineBenchModel } from '../../common/contract/engine.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const name = arg('model', 'resnet20') as EngineBenchModel;
const spec = benchModelShapes[name];
if (!spec) throw new Error(`--model must be a model of the engine bench, got ${name}`);
const batch = Number(arg('batch', String(spec.batch ?? 128)));
const steps = Number(arg('steps', '3'));
const top = Number(arg('top', '25'));
const byShape = process.argv.includes('--shapes');
const engine = await startEngine();
console.log(`${engine.backend}, ${engine.device}, ${engine.threads} threads`);

/** One training step of the chosen model, finished (its loss read back) when it returns. */
async function makeStep(): Promise<() => void> {
  if (spec.arch === 'spgan') {
    const { model, a, b } = await createSpganBenchModel(name, batch);
    return () => void model.trainStep(a, b, true);
  }
  const model = createModel(spec.arch, { inputSize: [spec.input[0], spec.input[1]], channels: spec.input[2], numClasses: spec.classes }, 1);
  const variables = trainableVariables(model);
  const optimizer = fusedMomentum(0.1, 0.9);
  const x = tf.randomNormal([batch, ...spec.input], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([batch], 0, spec.classes, 'int32', 8) as tf.Tensor1D, spec.classes);
  const variableName = new Map([...model.weights].map(([k, v]) => [k, (v as tf.Variable).name]));
  const useTape = process.argv.includes('--tape');
  // The step the trainer and `bench:engine` run (nn/backward.ts), or with --tape TF.js' gradient tape over forward().
  return () => {
    const stats = new Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }>();
    let loss: tf.Scalar;
    if (useTape) loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(model, x, { training: true, batchStats: stats }).logits) as tf.Scalar, true, variables)!;
    else {
      const r = trainGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, { batchStats: stats });
      optimizer.applyGradients([...r.grads].map(([k, g]) => ({ name: variableName.get(k)!, tensor: g })));
      tf.dispose([r.logits, ...r.grads.values()]);
      loss = r.loss;
    }
    updateRunningStats(model, stats);
    loss.dataSync();
    loss.dispose();
  };
}
const step = await makeStep();
step();
let t = performance.now();
for (let i = 0; i < steps; i++) step();
console.log(`step ${((performance.now() - t) / steps).toFixed(1)} ms (mean of ${steps}, unprofiled)`);
const toggle = arg('toggle', '');
const toggles = toggle.split(',').filter(Boolean); // several switches flip together: NAME1,NAME2
if (toggle) {
  const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let i = 0; i < 2 * steps; i++) {
    const side = i % 2 === 0 ? 'off' : 'on';
    for (const name of toggles) {
      if (side === 'off') process.env[name] = '0';
      else delete process.env[name];
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    step();
    const c = process.cpuUsage(c0);
    times[side].push(performance.now() - t0);
    cpu[side].push((c.user + c.system) / 1000);
  }
  for (const name of toggles) delete process.env[name];
  const line = (what: string, v: Record<'off' | 'on', number[]>): string =>
    `${what}: ${toggle}=0 ${median(v.off).toFixed(1)} ms (${Math.min(...v.off).toFixed(0)}-${Math.max(...v.off).toFixed(0)}), on ${median(v.on).toFixed(1)} ms (${Math.min(...v.on).toFixed(0)}-${Math.max(...v.on).toFixed(0)}), x${(median(v.off) / median(v.on)).toFixed(2)}`;
  console.log(`medians of ${steps} interleaved steps each`);
  console.log(line('wall', times));
  console.log(line('CPU ', cpu));
  process.exit(0);
}
const agg = new Map<string, { ms: number; calls: number }>();
t = performance.now();
for (let i = 0; i < steps; i++) {
  const prof = await tf.profile(step);
  for (const k of prof.kernels) {
    const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = agg.get(key) ?? { ms: 0, calls: 0 };
    e.ms += (k.kernelTimeMs as number) / steps;
    e.calls += 1 / steps;
    agg.set(key, e);
  }
}
const wall = (performance.now() - t) / steps;
const total = [...agg.values()].reduce((s, e) => s + e.ms, 0);
console.log(`kernels ${total.toFixed(1)} ms of ${wall.toFixed(1)} ms per profiled step`);
for (const [key, e] of [...agg.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, top)) {
  console.log(`${e.ms.toFixed(1).padStart(8)} ms ${((e.ms / total) * 100).toFixed(1).padStart(5)}% ${e.calls.toFixed(0).padStart(4)}x  ${key}`);
}
