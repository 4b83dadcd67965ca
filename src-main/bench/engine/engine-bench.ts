/**
 * The engine benchmark: trains (SGD momentum) and runs inference for the
 * registry's CIFAR ResNet-20/56 (32x32x3) and the IDE ResNet-50 (128x64x3)
 * (batch 128 by default, and inference at batch 1) on the active backend and,
 * interleaved in the same run, on PyTorch CPU with the same thread count;
 * medians over the repeats with their spread, ratios of the medians.
 * Used by the engine.bench job and by `npm run bench:engine`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { fusedMomentum } from '../../engine/ops/sgd-momentum.ts';
import type { EngineBenchModel, EngineBenchParams, EngineBenchResult, EngineBenchRow, EngineBenchSide, EngineInfo, Spread } from '../../common/contract/engine.ts';
import { peakMemoryNote, peakRssMiB, resetPeakRss } from './peak-memory.ts';
import { mulberry32 } from '../../common/random.ts';
import { createMiniResNet } from './mini-resnet.ts';

export interface BenchHooks {
  log?(line: string): void;
  progress?(fraction: number, step: string): void;
  metric?(name: string, value: number): void;
  signal?: AbortSignal;
}

export const PYTHON = '/usr/bin/python3';

/**
 * A PyTorch baseline script of resources/bench/ (pytorch_resnet.py, pytorch_spgan.py): from the
 * source tree (src-main/bench/engine -> repo root), from a bundle in out/main, or from the
 * working directory.
 */
export function pytorchScript(file = 'pytorch_resnet.py'): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rel = path.join('resources', 'bench', file);
  const candidates = [path.resolve(here, '..', '..', '..', rel), path.resolve(here, '..', '..', rel), path.resolve(process.cwd(), rel)];
  return candidates.find((f) => existsSync(f)) ?? candidates[0]!;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('cancelled');
}

/** The SPGAN bench size (also passed to resources/bench/pytorch_spgan.py). */
const SPGAN_BENCH = { width: 16, blocks: 3, discriminatorLayers: 3 };

/** What each benchmark model is: architecture, input, classes and (when not the run's batch size) its own batch. */
export const benchModelShapes: Record<EngineBenchModel, { arch: 'resnet20' | 'resnet56' | 'resnet50' | 'spgan'; input: [number, number, number]; classes: number; batch?: number; description: string }> = {
  resnet20: { arch: 'resnet20', input: [32, 32, 3], classes: 10, description: 'CIFAR ResNet-20 (option A), SGD momentum' },
  resnet56: { arch: 'resnet56', input: [32, 32, 3], classes: 10, description: 'CIFAR ResNet-56 (option A), SGD momentum' },
  // The IDE baseline of the re-ID pages: ImageNet ResNet-50, 128x64 person crops, Market-1501's 751 training identities.
  'ide-resnet50': { arch: 'resnet50', input: [128, 64, 3], classes: 751, description: 'IDE: ImageNet ResNet-50, 751 identities, SGD momentum' },
  // A CPU-sized SPGAN (the paper's is 256x128, width 64, 9 blocks): images/s = images of each domain per second.
  'spgan-step': {
    arch: 'spgan',
    input: [128, 64, 3],
    classes: 0,
    batch: 4,
    description: `SPGAN step: 2 generators (width ${SPGAN_BENCH.width}, ${SPGAN_BENCH.blocks} blocks), 2 PatchGANs, Siamese, Adam; inference = G`,
  },
};

/** Batch size a model is benchmarked at. */
export const benchBatch = (name: EngineBenchModel, params: EngineBenchParams): number => benchModelShapes[name].batch ?? params.batchSize;

/** One repeat of one side: what the medians are taken over. */
export interface BenchSample {
  runtime: string;
  trainImagesPerSec: number;
  inferImagesPerSec: number;
  inferBatch1ImagesPerSec: number | null;
  peakMemoryMiB: number;
  modelSource?: string;
}

/** What the benchmark trains: the registry's model, or the stand-in below. */
interface BenchModel {
  /** 'registry' or why the stand-in is used. */
  source: string;
  variables: tf.Variable[];
  /** Logits; in training mode also collects what `afterStep` needs. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** One optimizer step as the product trains (the registry's: the hand-written backward pass of nn/backward.ts); returns the loss. */
  trainStep?(optimizer: tf.Optimizer, x: tf.Tensor4D, labels: tf.Tensor): tf.Scalar;
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
  const shape = benchModelShapes[name];
  if (shape.arch === 'spgan') throw new Error(`${name} is not a classifier`);
  const arch = shape.arch;
  try {
    const [{ createModel }, nn, init, backward] = await Promise.all([
      import('../../models/registry.ts'),
      import('../../nn/forward.ts'),
      import('../../nn/init.ts'),
      import('../../nn/backward.ts'),
    ]);
    const model = createModel(arch, { inputSize: [shape.input[0], shape.input[1]], channels: shape.input[2], numClasses: shape.classes }, 1);
    let stats: Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }> = new Map();
    const variableName = new Map([...model.weights].map(([k, v]) => [k, (v as tf.Variable).name]));
    return {
      source: 'registry',
      variables: init.trainableVariables(model),
      forward: (x, training) => nn.forward(model, x, training ? { training, batchStats: stats } : { training }).logits,
      trainStep: (optimizer, x, labels) => {
        const r = backward.trainGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, { batchStats: stats });
        optimizer.applyGradients([...r.grads].map(([k, g]) => ({ name: variableName.get(k)!, tensor: g })));
        tf.dispose([r.logits, ...r.grads.values()]);
        return r.loss;
      },
      afterStep: () => {
        nn.updateRunningStats(model, stats);
        stats = new Map();
      },
      dispose: () => init.disposeModel(model),
    };
  } catch (error) {
    if (arch === 'resnet50') throw error;
    const mini = createMiniResNet(Number(arch.slice('resnet'.length)));
    const reason = String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 160);
    return { source: `engine stand-in ResNet (registry not loadable: ${reason})`, ...mini, afterStep: () => {} };
  }
}

/** Trains and infers one model on the active TF.js backend: one repeat. */
export async function benchWorkbench(name: EngineBenchModel, params: EngineBenchParams, engine: EngineInfo, hooks: BenchHooks = {}): Promise<BenchSample> {
  if (benchModelShapes[name].arch === 'spgan') return benchSpganStep(name, params, engine, hooks);
  const b = params.batchSize;
  const [h, w, c] = benchModelShapes[name].input;
  const classes = benchModelShapes[name].classes;
  resetPeakRss();
  const model = await loadBenchModel(name);
  if (model.source !== 'registry') hooks.log?.(`${name}: ${model.source}`);
  const optimizer = fusedMomentum(0.1, 0.9);
  // Random data: throughput does not depend on the pixel values.
  const x = tf.randomNormal([b, h, w, c], 0, 1, 'float32', 7) as tf.Tensor4D;
  const x1 = tf.randomNormal([1, h, w, c], 0, 1, 'float32', 9) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([b], 0, classes, 'int32', 8) as tf.Tensor1D, classes);
  const trainStep = async (): Promise<number> => {
    const loss = model.trainStep
      ? model.trainStep(optimizer, x, labels)
      : optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x, true)) as tf.Scalar, true, model.variables)!;
    model.afterStep();
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
  const inferStep = async (input: tf.Tensor4D = x): Promise<void> => {
    const logits = tf.tidy(() => model.forward(input, false));
    await logits.data();
    logits.dispose();
  };
  try {
    const batch1Steps = params.batchOne ? Math.max(params.inferSteps, 10) : 0;
    const total = params.warmupSteps + params.trainSteps + 1 + params.inferSteps + (batch1Steps > 0 ? batch1Steps + 1 : 0);
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
    // Training's peak (activations kept for the backward pass): what decides whether a model fits.
    const peakMemoryMiB = peakRssMiB();
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
    let inferBatch1ImagesPerSec: number | null = null;
    if (batch1Steps > 0) {
      await inferStep(x1);
      tick('batch-1 warm-up');
      t = performance.now();
      for (let i = 0; i < batch1Steps; i++) {
        throwIfAborted(hooks.signal);
        await inferStep(x1);
        tick('batch-1 inference');
      }
      inferBatch1ImagesPerSec = batch1Steps / ((performance.now() - t) / 1000);
      hooks.log?.(`${name}: batch-1 inference ${inferBatch1ImagesPerSec.toFixed(1)} img/s`);
    }
    return {
      runtime: runtimeName(engine),
      trainImagesPerSec,
      inferImagesPerSec,
      inferBatch1ImagesPerSec,
      peakMemoryMiB,
      modelSource: model.source,
    };
  } finally {
    tf.dispose([x, x1, labels]);
    optimizer.dispose();
    model.dispose();
  }
}

function runtimeName(engine: EngineInfo): string {
  return `${engine.backend} (${engine.threads} thread${engine.threads === 1 ? '' : 's'}${engine.simd ? ', SIMD' : ''}${engine.device !== 'CPU' ? `, ${engine.device}` : ''})`;
}

/** Seconds for `steps` calls of `step` (awaited one after the other). */
async function timed(steps: number, step: () => Promise<void>, hooks: BenchHooks, label: string, tick: (label: string) => void): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < steps; i++) {
    throwIfAborted(hooks.signal);
    await step();
    tick(label);
  }
  return (performance.now() - t) / 1000;
}

/**
 * The bench-size SPGAN model (the product's src-main/spgan model) and two input batches
 * a, b of [batch, H, W, 3] in [-1, 1]; also used by profile-step.ts.
 */
export async function createSpganBenchModel(name: EngineBenchModel, batch: number) {
  const [{ SpganModel }, { spganConfigSchema }] = await Promise.all([import('../../spgan/spgan-model.ts'), import('../../common/contract/spgan.ts')]);
  const [h, w] = benchModelShapes[name].input;
  const config = spganConfigSchema.parse({
    sourceDatasetId: 1,
    targetDatasetId: 2,
    imageSize: [h, w],
    residualBlocks: SPGAN_BENCH.blocks,
    generatorWidth: SPGAN_BENCH.width,
    discriminatorWidth: SPGAN_BENCH.width,
    siameseWidth: SPGAN_BENCH.width,
    discriminatorLayers: SPGAN_BENCH.discriminatorLayers,
    batchSize: batch,
  });
  const model = new SpganModel(config, mulberry32(1));
  const a = tf.randomUniform([batch, h, w, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const b = tf.randomUniform([batch, h, w, 3], -1, 1, 'float32', 8) as tf.Tensor4D;
  return { model, a, b };
}

/** One SPGAN training step (src-main/spgan's model, the product's) per timed step; inference = G translating. */
async function benchSpganStep(name: EngineBenchModel, params: EngineBenchParams, engine: EngineInfo, hooks: BenchHooks): Promise<BenchSample> {
  const [h, w] = benchModelShapes[name].input;
  const batch = benchBatch(name, params);
  resetPeakRss();
  const { model, a, b } = await createSpganBenchModel(name, batch);
  const one = tf.randomUniform([1, h, w, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
  // trainStep reads its losses back, so a step has finished when it returns.
  const trainStep = async (): Promise<void> => {
    model.trainStep(a, b, true);
  };
  const translate = (x: tf.Tensor4D) => async (): Promise<void> => {
    const y = model.translate(x);
    await y.data();
    y.dispose();
  };
  try {
    const batch1Steps = params.batchOne ? Math.max(params.inferSteps, 10) : 0;
    const total = params.warmupSteps + params.trainSteps + 1 + params.inferSteps + (batch1Steps > 0 ? batch1Steps + 1 : 0);
    let done = 0;
    const tick = (step: string): void => hooks.progress?.(++done / total, `${name}: ${step}`);
    await timed(params.warmupSteps, trainStep, hooks, 'warm-up', tick);
    const trainSeconds = await timed(params.trainSteps, trainStep, hooks, 'train', tick);
    const peakMemoryMiB = peakRssMiB();
    const trainImagesPerSec = (batch * params.trainSteps) / trainSeconds;
    hooks.log?.(`${name}: training ${trainImagesPerSec.toFixed(2)} img/s (${((trainSeconds / params.trainSteps) * 1000).toFixed(0)} ms per step)`);
    await timed(1, translate(a), hooks, 'inference warm-up', tick);
    const inferImagesPerSec = (batch * params.inferSteps) / (await timed(params.inferSteps, translate(a), hooks, 'inference', tick));
    let inferBatch1ImagesPerSec: number | null = null;
    if (batch1Steps > 0) {
      await timed(1, translate(one), hooks, 'batch-1 warm-up', tick);
      inferBatch1ImagesPerSec = batch1Steps / (await timed(batch1Steps, translate(one), hooks, 'batch-1 inference', tick));
    }
    return { runtime: runtimeName(engine), trainImagesPerSec, inferImagesPerSec, inferBatch1ImagesPerSec, peakMemoryMiB, modelSource: 'spgan' };
  } finally {
    tf.dispose([a, b, one]);
    model.dispose();
  }
}

interface PytorchAnswer {
  torch: string;
  threads: number;
  train_images_per_sec: number;
  infer_images_per_sec: number;
  infer_batch1_images_per_sec: number | null;
  peak_memory_mib: number;
}

/** Runs the PyTorch baseline for one model in its own process (one repeat); rejects with a one-line reason. */
export function benchPytorch(name: EngineBenchModel, params: EngineBenchParams, threads: number, signal?: AbortSignal): Promise<BenchSample> {
  const shape = benchModelShapes[name];
  const script = pytorchScript(shape.arch === 'spgan' ? 'pytorch_spgan.py' : 'pytorch_resnet.py');
  if (!existsSync(PYTHON)) return Promise.reject(new Error(`${PYTHON} is not installed`));
  if (!existsSync(script)) return Promise.reject(new Error(`the baseline script ${script} is missing`));
  const batch1Steps = String(params.batchOne ? Math.max(params.inferSteps, 10) : 0);
  const args =
    shape.arch === 'spgan'
      ? // H W width blocks batch steps warmup batch1_steps
        [script, ...[shape.input[0], shape.input[1], SPGAN_BENCH.width, SPGAN_BENCH.blocks, benchBatch(name, params), params.trainSteps, params.warmupSteps].map(String), batch1Steps]
      : [
          script,
          '--model', name,
          '--threads', String(threads),
          '--batch', String(params.batchSize),
          '--train-steps', String(params.trainSteps),
          '--infer-steps', String(params.inferSteps),
          '--warmup', String(params.warmupSteps),
          '--batch1-steps', batch1Steps,
        ];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: 30 * 60_000, maxBuffer: 1 << 20, signal, env: { ...process.env, OMP_NUM_THREADS: String(threads), TORCH_THREADS: String(threads) } }, (error, stdout, stderr) => {
      if (error) {
        const text = `${stderr}`;
        const missing = /No module named ['"]?([\w.]+)/.exec(text)?.[1];
        if (missing) return reject(new Error(missingModuleMessage(missing)));
        const last = text.trim().split('\n').pop() ?? error.message;
        return reject(new Error(`the PyTorch baseline failed: ${last}`));
      }
      try {
        const a = JSON.parse(stdout.trim().split('\n').pop()!) as PytorchAnswer;
        resolve({
          runtime: `torch ${a.torch} (${a.threads} thread${a.threads === 1 ? '' : 's'})`,
          trainImagesPerSec: a.train_images_per_sec,
          inferImagesPerSec: a.infer_images_per_sec,
          inferBatch1ImagesPerSec: a.infer_batch1_images_per_sec,
          peakMemoryMiB: a.peak_memory_mib,
        });
      } catch {
        reject(new Error(`the PyTorch baseline printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** Why the baseline cannot run, from the Python module it could not import (the IDE baseline also needs torchvision). */
export function missingModuleMessage(module: string): string {
  const top = module.split('.')[0]!;
  if (top === 'torch') return 'PyTorch is not installed (Debian package python3-torch)';
  if (top === 'torchvision') return 'torchvision is not installed (Debian package python3-torchvision; the IDE ResNet-50 baseline needs it)';
  return `the PyTorch baseline needs the Python module ${top}, which is not installed`;
}

export function machineInfo(): EngineBenchResult['machine'] {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const spreadOf = (values: number[]): Spread => [Math.min(...values), Math.max(...values)];

/** Medians (and spread) of one side's repeats. */
export function summarize(side: 'workbench' | 'pytorch', model: EngineBenchModel, samples: BenchSample[]): EngineBenchSide {
  const pick = (f: (s: BenchSample) => number) => samples.map(f);
  const batch1 = samples.every((s) => s.inferBatch1ImagesPerSec != null) ? pick((s) => s.inferBatch1ImagesPerSec!) : null;
  return {
    side,
    model,
    runtime: samples[0]!.runtime,
    trainImagesPerSec: median(pick((s) => s.trainImagesPerSec)),
    inferImagesPerSec: median(pick((s) => s.inferImagesPerSec)),
    inferBatch1ImagesPerSec: batch1 ? median(batch1) : null,
    peakMemoryMiB: median(pick((s) => s.peakMemoryMiB)),
    repeats: samples.length,
    spread: {
      train: spreadOf(pick((s) => s.trainImagesPerSec)),
      infer: spreadOf(pick((s) => s.inferImagesPerSec)),
      inferBatch1: batch1 ? spreadOf(batch1) : null,
      memory: spreadOf(pick((s) => s.peakMemoryMiB)),
    },
    ...(samples[0]!.modelSource !== undefined ? { modelSource: samples[0]!.modelSource } : {}),
  };
}

const ratio = (a: number | null, b: number | null | undefined): number | null => (a != null && b != null && b > 0 ? a / b : null);

/**
 * Both sides for every model, interleaved repeat by repeat (workbench, PyTorch, workbench, ...;
 * never at the same time: they would share the cores), so a slow minute of a shared machine
 * hits both sides instead of one.
 */
export async function runEngineBench(params: EngineBenchParams, engine: EngineInfo, hooks: BenchHooks = {}): Promise<EngineBenchResult> {
  const rows: EngineBenchRow[] = [];
  let pytorchNote: string | null = params.pytorch ? null : 'PyTorch baseline not requested';
  const units = params.models.length * params.repeats;
  let unit = 0;
  for (const name of params.models) {
    const ours: BenchSample[] = [];
    const theirs: BenchSample[] = [];
    for (let r = 0; r < params.repeats; r++, unit++) {
      const share = params.pytorch && pytorchNote == null ? 0.5 : 1;
      const scaled: BenchHooks = { ...hooks, progress: (f, step) => hooks.progress?.((unit + f * share) / units, `${step} (repeat ${r + 1}/${params.repeats})`) };
      const sample = await benchWorkbench(name, params, engine, scaled);
      ours.push(sample);
      hooks.metric?.(`${name}/train_img_per_s`, sample.trainImagesPerSec);
      hooks.metric?.(`${name}/infer_img_per_s`, sample.inferImagesPerSec);
      if (params.pytorch && pytorchNote == null) {
        hooks.progress?.((unit + 0.5) / units, `${name}: PyTorch baseline (repeat ${r + 1}/${params.repeats})`);
        try {
          const p = await benchPytorch(name, params, engine.threads, hooks.signal);
          theirs.push(p);
          hooks.metric?.(`${name}/pytorch_train_img_per_s`, p.trainImagesPerSec);
          hooks.metric?.(`${name}/pytorch_infer_img_per_s`, p.inferImagesPerSec);
          hooks.log?.(`${name}: PyTorch training ${p.trainImagesPerSec.toFixed(1)} img/s, inference ${p.inferImagesPerSec.toFixed(1)} img/s`);
        } catch (error) {
          throwIfAborted(hooks.signal);
          pytorchNote = (error as Error).message;
          hooks.log?.(`PyTorch baseline skipped: ${pytorchNote}`);
        }
      }
    }
    const workbench = summarize('workbench', name, ours);
    const pytorch = theirs.length === ours.length ? summarize('pytorch', name, theirs) : null;
    const shape = benchModelShapes[name];
    rows.push({
      model: name,
      input: shape.input,
      classes: shape.classes,
      batch: benchBatch(name, params),
      description: shape.description,
      workbench,
      pytorch,
      trainRatio: ratio(workbench.trainImagesPerSec, pytorch?.trainImagesPerSec),
      inferRatio: ratio(workbench.inferImagesPerSec, pytorch?.inferImagesPerSec),
      inferRatioBatch1: ratio(workbench.inferBatch1ImagesPerSec, pytorch?.inferBatch1ImagesPerSec),
      memoryRatio: ratio(workbench.peakMemoryMiB, pytorch?.peakMemoryMiB),
    });
  }
  hooks.progress?.(1, 'done');
  return {
    engine,
    batchSize: params.batchSize,
    repeats: params.repeats,
    date: new Date().toISOString(),
    machine: machineInfo(),
    rows,
    pytorchNote,
    memoryNote: peakMemoryNote(),
  };
}
