/**
 * Inference latency benchmark: the workbench's TF.js engine vs ONNX Runtime
 * (CPU) on the ONNX export, for baseline and hard-pruned (SFP 30%, compact)
 * CIFAR ResNets, with PyTorch CPU as the same-run baseline.
 *
 *   npm run bench:latency -- [--models resnet20,resnet56] [--batch 32] [--runs 10] [--warmup 3] [--backend wasm] [--threads 2]
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
import { benchmark, type LatencyStats } from '../latency/benchmark.ts';
import { graphToOnnx } from '../onnx/graph-to-onnx.ts';
import { openOnnxSession, runOnnx } from '../onnx/onnx-session.ts';
import { readWeightValues } from '../model-weights.ts';
import { engineLabel } from '../engine-label.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const models = arg('models', 'resnet20,resnet56').split(',');
const batch = Number(arg('batch', '32'));
const runs = Number(arg('runs', '10'));
const warmup = Number(arg('warmup', '3'));
const threads = Number(arg('threads', String(Math.min(2, os.availableParallelism()))));
const backend = parseBackendRequest(arg('backend', 'wasm'), '--backend') ?? 'auto';

const fmt = (s: LatencyStats): string => `${s.meanMs.toFixed(1)} ± ${s.stdMs.toFixed(1)}`;

async function timeTfjs(model: Model, b: number): Promise<LatencyStats> {
  const x = tf.randomUniform([b, 32, 32, 3], -2, 2, 'float32', 1) as tf.Tensor4D;
  const s = await benchmark(
    async () => {
      const y = tf.tidy(() => forward(model, x, { training: false }).logits);
      await y.data();
      y.dispose();
    },
    { warmup, runs },
  );
  x.dispose();
  return s;
}

async function timeOnnx(model: Model, b: number): Promise<LatencyStats> {
  const session = await openOnnxSession(graphToOnnx(model.spec, await readWeightValues(model)), { threads });
  const data = new Float32Array(b * 32 * 32 * 3).map((_, i) => ((i * 7919) % 1000) / 250 - 2);
  const s = await benchmark(() => runOnnx(session, { data, dims: [b, 32, 32, 3] }), { warmup, runs });
  await session.release();
  return s;
}

const engine = await initEngine({ backend, threads });
const rows: string[] = [];
const batches = [...new Set([1, batch])];
for (const name of models) {
  const base = createModel(name, {}, 1);
  applySfpMask(base, selectLayers(base.spec, 0.3));
  const compact = compactModel(base).model;
  for (const [label, model] of [
    [`${name}`, base],
    [`${name} SFP 30% compact`, compact],
  ] as const) {
    const macs = countCost(model.spec).macs;
    for (const b of batches) {
      const t = await timeTfjs(model, b);
      const o = await timeOnnx(model, b);
      rows.push(`| ${label} | ${(macs / 1e6).toFixed(1)} M | ${b} | ${fmt(t)} | ${fmt(o)} | ${(t.meanMs / o.meanMs).toFixed(2)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
  disposeModel(base);
  disposeModel(compact);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const depths = models.filter((m) => /^resnet(20|32|44|56|110)$/.test(m)).map((m) => m.slice(6));
let torchLines: string[] = [];
if (depths.length > 0) {
  const py = spawnSync('/usr/bin/python3', [path.join(here, 'torch_resnet_latency.py'), depths.join(','), String(batch), String(warmup), String(runs), String(threads)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (py.status === 0) {
    const r = JSON.parse(py.stdout) as { torch: string; threads: number; results: { depth: number; batch: number; meanMs: number; stdMs: number }[] };
    torchLines = r.results.map((x) => `| resnet${x.depth} (PyTorch ${r.torch}, ${r.threads} threads) | | ${x.batch} | ${x.meanMs.toFixed(1)} ± ${x.stdMs.toFixed(1)} | | |`);
  } else {
    torchLines = [`PyTorch baseline unavailable: ${(py.stderr || py.error?.message || '').split('\n').filter(Boolean).at(-1) ?? 'no output'}`];
  }
}

console.log(`Machine: ${os.cpus()[0]?.model ?? 'CPU'} x${os.availableParallelism()}, Node ${process.versions.node}; TF.js engine: ${engineLabel(engine)}; ONNX Runtime CPU ${threads} threads; ${warmup} warm-up + ${runs} runs; ${new Date().toISOString().slice(0, 10)}`);
console.log('');
console.log('| model | MACs/image | batch | TF.js ms | ONNX Runtime ms | TF.js / ORT |');
console.log('|---|---|---|---|---|---|');
for (const r of [...rows, ...torchLines]) console.log(r);
