/**
 * The engine benchmark: trains (SGD momentum) and runs inference for the
 * registry's CIFAR ResNet-20/56 (batch 128 by default, 32x32x3) on the active
 * backend and, in the same run, on PyTorch CPU with the same thread count.
 * Used by the engine.bench job and by `npm run bench:engine`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { EngineBenchModel, EngineBenchParams, EngineBenchResult, EngineBenchRow, EngineBenchSide, EngineInfo } from '../../common/contract/engine.ts';
import { createMiniResNet } from './mini-resnet.ts';

export interface BenchHooks {
  log?(line: string): void;
  progress?(fraction: number, step: string): void;
  metric?(name: string, value: number): void;
  signal?: AbortSignal;
}

export const PYTHON = '/usr/bin/python3';

/**
 * resources/bench/pytorch_resnet.py: from the source tree (src-main/engine/bench
 * -> repo root), from a bundle in out/main, or from the working directory.
 */
export function pytorchScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rel = path.join('resources', 'bench', 'pytorch_resnet.py');
  const candidates = [path.resolve(here, '..', '..', '..', rel), path.resolve(here, '..', '..', rel), path.resolve(process.cwd(), rel)];
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}

function peakMemoryMiB(): number {
  // maxRSS is KiB; it covers the whole process, including the wasm heap.
  return process.resourceUsage().maxRSS / 1024;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('cancelled');
}

/** What the benchmark trains: the registry's model, or the stand-in below. */
interface BenchModel {
  /** 'registry' or why the stand-in is used. */
  source: string;
  variables: tf.Variable[];
  /** Logits; in training mode also collects what `afterStep` needs. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** After each optimizer step (running BatchNorm statistics). */
  afterStep(): void;
  dispose(): void;
}

/**
 * The registry's ResNet through src-main/nn (the models the product trains);
 * when those modules cannot load in this process, the engine's own minimal
 * ResNet of the same shape (mini-resnet.ts), and the result says so.
 */
async function loadBenchModel(name: EngineBenchModel): Promise<BenchModel> {
  try {
    const [{ createModel }, nn, init] = await Promise.all([import('../../models/registry.ts'), import('../../nn/forward.ts'), import('../../nn/init.ts')]);
    const model = createModel(name, {}, 1);
    let stats: Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }> = new Map();
    return {
      source: 'registry',
      variables: init.trainableVariables(model),
      forward: (x, training) => nn.forward(model, x, training ? { training, batchStats: stats } : { training }).logits,
      afterStep: () => {
        nn.updateRunningStats(model, stats);
        stats = new Map();
      },
      dispose: () => init.disposeModel(model),
    };
  } catch (error) {
    const mini = createMiniResNet(Number(name.slice('resnet'.length)));
    const reason = String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 160);
    return { source: `engine stand-in ResNet (registry not loadable: ${reason})`, ...mini, afterStep: () => {} };
  }
}

/** Trains and infers one model on the active TF.js backend. */
export async function benchWorkbench(name: EngineBenchModel, params: EngineBenchParams, engine: EngineInfo, hooks: BenchHooks = {}): Promise<EngineBenchSide> {
  const b = params.batchSize;
  const model = await loadBenchModel(name);
  if (model.source !== 'registry') hooks.log?.(`${name}: ${model.source}`);
  const optimizer = tf.train.momentum(0.1, 0.9);
  // Random data: throughput does not depend on the pixel values.
  const x = tf.randomNormal([b, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([b], 0, 10, 'int32', 8) as tf.Tensor1D, 10);
  const trainStep = async (): Promise<number> => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x, true)) as tf.Scalar, true, model.variables)!;
    model.afterStep();
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
  const inferStep = async (): Promise<void> => {
    const logits = tf.tidy(() => model.forward(x, false));
    await logits.data();
    logits.dispose();
  };
  try {
    const total = params.warmupSteps + params.trainSteps + 1 + params.inferSteps;
    let done = 0;
    const tick = (step: string): void => hooks.progress?.(++done / total, `${name}: ${step}`);
    for (let i = 0; i < params.warmupSteps; i++) {
      throwIfAborted(hooks.signal);
      await trainStep();
      tick('warm-up');
    }
    const tensorsBefore = tf.memory().numTensors;
    let t = performance.now();
    let loss = 0;
    for (let i = 0; i < params.trainSteps; i++) {
      throwIfAborted(hooks.signal);
      loss = await trainStep();
      tick('train');
    }
    const trainImagesPerSec = (b * params.trainSteps) / ((performance.now() - t) / 1000);
    if (tf.memory().numTensors !== tensorsBefore) {
      hooks.log?.(`${name}: ${tf.memory().numTensors - tensorsBefore} tensors leaked over ${params.trainSteps} training steps`);
    }
    hooks.log?.(`${name}: training ${trainImagesPerSec.toFixed(1)} img/s (last loss ${loss.toFixed(3)})`);
    await inferStep();
    tick('inference warm-up');
    t = performance.now();
    for (let i = 0; i < params.inferSteps; i++) {
      throwIfAborted(hooks.signal);
      await inferStep();
      tick('inference');
    }
    const inferImagesPerSec = (b * params.inferSteps) / ((performance.now() - t) / 1000);
    hooks.log?.(`${name}: inference ${inferImagesPerSec.toFixed(1)} img/s`);
    return {
      side: 'workbench',
      model: name,
      runtime: `${engine.backend} (${engine.threads} thread${engine.threads === 1 ? '' : 's'}${engine.simd ? ', SIMD' : ''}${engine.device !== 'CPU' ? `, ${engine.device}` : ''})`,
      trainImagesPerSec,
      inferImagesPerSec,
      peakMemoryMiB: peakMemoryMiB(),
      modelSource: model.source,
    };
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  }
}

interface PytorchAnswer {
  torch: string;
  threads: number;
  train_images_per_sec: number;
  infer_images_per_sec: number;
  peak_memory_mib: number;
}

/** Runs the PyTorch baseline for one model in its own process; rejects with a one-line reason. */
export function benchPytorch(name: EngineBenchModel, params: EngineBenchParams, threads: number, signal?: AbortSignal): Promise<EngineBenchSide> {
  const script = pytorchScript();
  if (!existsSync(PYTHON)) return Promise.reject(new Error(`${PYTHON} is not installed`));
  if (!existsSync(script)) return Promise.reject(new Error(`the baseline script ${script} is missing`));
  const args = [
    script,
    '--model', name,
    '--threads', String(threads),
    '--batch', String(params.batchSize),
    '--train-steps', String(params.trainSteps),
    '--infer-steps', String(params.inferSteps),
    '--warmup', String(params.warmupSteps),
  ];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: 30 * 60_000, maxBuffer: 1 << 20, signal, env: { ...process.env, OMP_NUM_THREADS: String(threads) } }, (error, stdout, stderr) => {
      if (error) {
        const text = `${stderr}`;
        if (/No module named ['"]?torch/.test(text)) return reject(new Error('PyTorch is not installed (Debian package python3-torch)'));
        const last = text.trim().split('\n').pop() ?? error.message;
        return reject(new Error(`the PyTorch baseline failed: ${last}`));
      }
      try {
        const a = JSON.parse(stdout.trim().split('\n').pop()!) as PytorchAnswer;
        resolve({
          side: 'pytorch',
          model: name,
          runtime: `torch ${a.torch} (${a.threads} thread${a.threads === 1 ? '' : 's'})`,
          trainImagesPerSec: a.train_images_per_sec,
          inferImagesPerSec: a.infer_images_per_sec,
          peakMemoryMiB: a.peak_memory_mib,
        });
      } catch {
        reject(new Error(`the PyTorch baseline printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

export function machineInfo(): EngineBenchResult['machine'] {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/** Both sides for every model, one after the other (never at the same time: they would share the cores). */
export async function runEngineBench(params: EngineBenchParams, engine: EngineInfo, hooks: BenchHooks = {}): Promise<EngineBenchResult> {
  const rows: EngineBenchRow[] = [];
  let pytorchNote: string | null = params.pytorch ? null : 'PyTorch baseline not requested';
  const n = params.models.length;
  for (const [i, name] of params.models.entries()) {
    const scaled: BenchHooks = { ...hooks, progress: (f, step) => hooks.progress?.((i + f * (params.pytorch ? 0.5 : 1)) / n, step) };
    const workbench = await benchWorkbench(name, params, engine, scaled);
    hooks.metric?.(`${name}/train_img_per_s`, workbench.trainImagesPerSec);
    hooks.metric?.(`${name}/infer_img_per_s`, workbench.inferImagesPerSec);
    let pytorch: EngineBenchSide | null = null;
    if (params.pytorch && pytorchNote == null) {
      hooks.progress?.((i + 0.5) / n, `${name}: PyTorch baseline`);
      try {
        pytorch = await benchPytorch(name, params, engine.threads, hooks.signal);
        hooks.metric?.(`${name}/pytorch_train_img_per_s`, pytorch.trainImagesPerSec);
        hooks.metric?.(`${name}/pytorch_infer_img_per_s`, pytorch.inferImagesPerSec);
        hooks.log?.(`${name}: PyTorch training ${pytorch.trainImagesPerSec.toFixed(1)} img/s, inference ${pytorch.inferImagesPerSec.toFixed(1)} img/s`);
      } catch (error) {
        throwIfAborted(hooks.signal);
        pytorchNote = (error as Error).message;
        hooks.log?.(`PyTorch baseline skipped: ${pytorchNote}`);
      }
    }
    rows.push({
      model: name,
      workbench,
      pytorch,
      trainRatio: pytorch ? workbench.trainImagesPerSec / pytorch.trainImagesPerSec : null,
      inferRatio: pytorch ? workbench.inferImagesPerSec / pytorch.inferImagesPerSec : null,
    });
  }
  hooks.progress?.(1, 'done');
  return { engine, batchSize: params.batchSize, date: new Date().toISOString(), machine: machineInfo(), rows, pytorchNote };
}
