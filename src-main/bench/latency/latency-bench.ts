/**
 * Inference latency benchmark: the workbench's TF.js engine vs ONNX Runtime
 * (CPU) on the ONNX export, for baseline and hard-pruned (SFP 30%, compact)
 * CIFAR ResNets, with PyTorch CPU as the same-run baseline.
 *
 *   npm run bench:latency -- [--models resnet20,resnet56] [--batch 32] [--runs 10] [--runs1 N] [--cpu-time] [--no-torch] [--warmup 3] [--backend wasm] [--threads 2] [--hide-avx512]
 *
 * --cpu-time: time each run by the process's CPU time (user + system, all threads) instead of
 * the wall clock. With --threads 1 that is the work a run took, nearly blind to other programs
 * on a loaded machine (which stretch wall times and make threads wait for each other); with
 * more threads it also counts their spin-waiting. --no-torch skips the PyTorch baseline.
 * --runs1: timed runs at batch 1 (default 10x --runs): a batch-1 pass takes 1-5 ms, so a few
 * hundred of them cost less than 30 batch-32 passes and steady the median on a shared machine.
 * --hide-avx512: runs on an AVX-512 machine as on an AVX2-only one, every engine (TF.js's native
 * kernels, ONNX Runtime, PyTorch) on its AVX2 + FMA path (`../isa-mask/`).
 *
 * Prints a Markdown table for BENCHMARKS.md. Shares the machine: keep runs short.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, parseBackendRequest } from '../../engine/init.ts';
import { createModel } from '../../models/registry.ts';
import { forward, type Model } from '../../nn/forward.ts';
import { disposeModel } from '../../nn/init.ts';
import { applySfpMask } from '../../prune/sfp-mask.ts';
import { selectLayers } from '../../prune/selection.ts';
import { compactModel } from '../../prune/compact.ts';
import { countCost } from '../../prune/flops.ts';
import { summarise, type LatencyStats } from '../../models/latency/benchmark.ts';
import { graphToOnnx } from '../../models/export/onnx/graph-to-onnx.ts';
import { openOnnxSession, runOnnx } from '../../models/export/onnx/onnx-session.ts';
import { readWeightValues } from '../../models/export/model-weights.ts';
import { engineLabel } from '../../models/latency/engine-label.ts';
import { argValue as arg } from '../argv.ts';
import { isaNote, rerunWithoutAvx512IfAsked } from '../isa-mask/hide-avx512.ts';

rerunWithoutAvx512IfAsked();

const models = arg('models', 'resnet20,resnet56').split(',');
const batch = Number(arg('batch', '32'));
const runs = Number(arg('runs', '10'));
const runs1 = Number(arg('runs1', String(10 * runs)));
const cpuTime = process.argv.includes('--cpu-time');
const torch = !process.argv.includes('--no-torch');
const warmup = Number(arg('warmup', '3'));
const threads = Number(arg('threads', String(Math.min(2, os.availableParallelism()))));
const backend = parseBackendRequest(arg('backend', 'wasm'), '--backend') ?? 'auto';

const fmt = (s: LatencyStats): string => `${s.medianMs.toFixed(1)} (${s.minMs.toFixed(1)}-${s.p90Ms.toFixed(1)})`;

/** A forward pass of a batch, resolving when its result is read back. */
type Run = () => Promise<unknown>;

function tfjsRun(model: Model, b: number): { run: Run; dispose: () => void } {
  const x = tf.randomUniform([b, 32, 32, 3], -2, 2, 'float32', 1) as tf.Tensor4D;
  const run = async (): Promise<void> => {
    const y = tf.tidy(() => forward(model, x, { training: false }).logits);
    await y.data();
    y.dispose();
  };
  return { run, dispose: () => x.dispose() };
}

async function onnxRun(model: Model, b: number): Promise<{ run: Run; dispose: () => Promise<void> }> {
  const session = await openOnnxSession(graphToOnnx(model.spec, await readWeightValues(model)), { threads });
  const data = new Float32Array(b * 32 * 32 * 3).map((_, i) => ((i * 7919) % 1000) / 250 - 2);
  return { run: () => runOnnx(session, { data, dims: [b, 32, 32, 3] }), dispose: () => session.release() };
}

/**
 * Times several runs round-robin, `block` timed runs of each per turn: load from other work on a
 * shared machine falls on all of them alike and same-run ratios stay meaningful. ONNX Runtime
 * sessions keep their own threads spinning for a while after each run, which slows whatever runs
 * next (measured: 2-3x), so after each switch one untimed run absorbs that (`settle`); the TF.js
 * runs switch every run (block 1, no settle run).
 */
async function interleaved(runs_: Run[], runs: number, block = 1, settle = false): Promise<LatencyStats[]> {
  for (const run of runs_) for (let i = 0; i < warmup; i++) await run();
  const times = runs_.map(() => [] as number[]);
  for (let r = 0; r < runs; r += block) {
    for (let i = 0; i < runs_.length; i++) {
      if (settle) await runs_[i]!();
      for (let k = 0; k < Math.min(block, runs - r); k++) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        await runs_[i]!();
        const used = process.cpuUsage(cpu);
        times[i]!.push(cpuTime ? (used.user + used.system) / 1000 : performance.now() - start);
      }
    }
  }
  return times.map((t) => summarise(t, warmup));
}

const engine = await initEngine({ backend, threads });
const rows: string[] = [];
const speedups: string[] = [];
const batches = [...new Set([1, batch])];
for (const name of models) {
  const base = createModel(name, {}, 1);
  applySfpMask(base, selectLayers(base.spec, 0.3));
  const compact = compactModel(base).model;
  const variants = [
    { label: `${name}`, model: base },
    { label: `${name} SFP 30% compact`, model: compact },
  ];
  for (const b of batches) {
    const tfjs = variants.map((v) => tfjsRun(v.model, b));
    const onnx = [await onnxRun(base, b), await onnxRun(compact, b)];
    const timed = b === 1 ? runs1 : runs;
    const [tBase, tCompact] = await interleaved(tfjs.map((r) => r.run), timed);
    const [oBase, oCompact] = await interleaved(onnx.map((r) => r.run), timed, 5, true);
    const t = [tBase!, tCompact!];
    const o = [oBase!, oCompact!];
    variants.forEach((v, i) => {
      const macs = countCost(v.model.spec).macs;
      rows.push(`| ${v.label} | ${(macs / 1e6).toFixed(1)} M | ${b} | ${fmt(t[i]!)} | ${fmt(o[i]!)} | ${(t[i]!.medianMs / o[i]!.medianMs).toFixed(2)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    });
    const macsRatio = countCost(compact.spec).macs / countCost(base.spec).macs;
    speedups.push(
      `| ${name} | ${b} | ${((1 - macsRatio) * 100).toFixed(1)}% | ${(tBase!.medianMs / tCompact!.medianMs).toFixed(2)}x | ${(oBase!.medianMs / oCompact!.medianMs).toFixed(2)}x |`,
    );
    tfjs.forEach((r) => r.dispose());
    for (const r of onnx) await r.dispose();
  }
  disposeModel(base);
  disposeModel(compact);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const depths = models.filter((m) => /^resnet(20|32|44|56|110)$/.test(m)).map((m) => m.slice(6));
let torchLines: string[] = [];
if (torch && depths.length > 0) {
  const py = spawnSync('/usr/bin/python3', [path.join(here, 'torch_resnet_latency.py'), depths.join(','), String(batch), String(warmup), String(runs), String(threads)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (py.status === 0) {
    const r = JSON.parse(py.stdout) as { torch: string; threads: number; results: ({ depth: number } & Pick<LatencyStats, 'medianMs' | 'minMs' | 'p90Ms'> & { batch: number })[] };
    torchLines = r.results.map((x) => `| resnet${x.depth} (PyTorch ${r.torch}, ${r.threads} threads) | | ${x.batch} | ${x.medianMs.toFixed(1)} (${x.minMs.toFixed(1)}-${x.p90Ms.toFixed(1)}) | | |`);
  } else {
    torchLines = [`PyTorch baseline unavailable: ${(py.stderr || py.error?.message || '').split('\n').filter(Boolean).at(-1) ?? 'no output'}`];
  }
}

console.log(`Machine: ${os.cpus()[0]?.model ?? 'CPU'} x${os.availableParallelism()}, Node ${process.versions.node}; TF.js engine: ${engineLabel(engine)}; ONNX Runtime CPU ${threads} threads; ${isaNote()}; ${warmup} warm-up + ${runs} runs (batch 1: ${runs1}); ${new Date().toISOString().slice(0, 10)}`);
console.log('');
console.log(`Median (min-p90) ms${cpuTime ? ' of process CPU time' : ''} per forward pass of the batch; the two TF.js models interleaved round-robin, ONNX Runtime sessions round-robin in turns of 5 runs, each turn after one untimed run.`);
console.log('');
console.log('| model | MACs/image | batch | TF.js ms | ONNX Runtime ms | TF.js / ORT |');
console.log('|---|---|---|---|---|---|');
for (const r of [...rows, ...torchLines]) console.log(r);
console.log('');
console.log('| model | batch | fewer MACs (compact) | speed-up on TF.js | speed-up on ONNX Runtime |');
console.log('|---|---|---|---|---|');
for (const r of speedups) console.log(r);
