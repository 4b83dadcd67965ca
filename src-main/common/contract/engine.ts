import { z } from 'zod';
import { call } from './define.ts';

/** The compute backends, named once: forms, settings, job submission and the engine all use these. */
export const backendNames = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
/** A backend a user may ask for: one of them, or 'auto' (the engine's own order). */
export const backendRequests = ['auto', ...backendNames] as const;
export type BackendRequestName = (typeof backendRequests)[number];
export const backendRequestSchema = z.enum(backendRequests);

export interface EngineInfo {
  backend: BackendName;
  /** e.g. 'NVIDIA H100' for tfjs-node-gpu, 'CPU' otherwise. */
  device: string;
  gpu: boolean;
  threads: number;
  simd: boolean;
  versions: Record<string, string>;
  /** One line per preferred backend that failed to load, e.g. "tensorflow: libtensorflow not installed". */
  fallbacks: string[];
}

/**
 * The models the engine benchmark trains: the CIFAR ResNets (32x32x3, 10 classes), the IDE
 * re-ID baseline (an ImageNet-style ResNet-50 on 128x64 person crops, 751 identities) and one
 * SPGAN step (two generators, two PatchGANs and the Siamese net at a CPU size, batch 4).
 */
export const engineBenchModels = ['resnet20', 'resnet56', 'ide-resnet50', 'spgan-step'] as const;
export type EngineBenchModel = (typeof engineBenchModels)[number];

export const engineBenchParamsSchema = z
  .object({
    models: z.array(z.enum(engineBenchModels)).min(1).default(['resnet20', 'resnet56']),
    batchSize: z.number().int().min(1).max(1024).default(128),
    /** Timed training steps per model and repeat (after `warmupSteps`). */
    trainSteps: z.number().int().min(1).max(1000).default(5),
    /** Timed inference batches per model and repeat (after one warm-up batch). */
    inferSteps: z.number().int().min(1).max(1000).default(5),
    warmupSteps: z.number().int().min(0).max(100).default(2),
    /**
     * Repeats per side, interleaved (workbench, PyTorch, workbench, ...): one-run ratios swing by
     * about +-0.3 on shared machines, so the table reports medians with their spread.
     */
    repeats: z.number().int().min(1).max(20).default(3),
    /** Also time inference at batch 1 (latency-bound, the other end from batch 128). */
    batchOne: z.boolean().default(true),
    /** Also run the PyTorch CPU baseline (Debian python3-torch) with the same thread count, where installed. */
    pytorch: z.boolean().default(true),
  })
  .strict();
export type EngineBenchParams = z.output<typeof engineBenchParamsSchema>;

/** Smallest and largest value over the repeats. */
export type Spread = [number, number];

/** One side of one model in the benchmark: medians over the repeats. */
export interface EngineBenchSide {
  /** 'workbench' (this engine) or 'pytorch'. */
  side: 'workbench' | 'pytorch';
  model: EngineBenchModel;
  /** e.g. 'wasm (2 threads, SIMD)' or 'torch 1.13.0 (2 threads)'. */
  runtime: string;
  trainImagesPerSec: number;
  inferImagesPerSec: number;
  /** Inference at batch 1, images per second; null when not measured. */
  inferBatch1ImagesPerSec: number | null;
  /** Peak resident memory of the process while it trained this model (median over repeats), MiB. */
  peakMemoryMiB: number;
  /** How many repeats the medians are of, and their spread. */
  repeats: number;
  spread: { train: Spread; infer: Spread; inferBatch1: Spread | null; memory: Spread };
  /** Workbench side: 'registry' (src-main/models) or why the engine's stand-in ResNet was used. */
  modelSource?: string;
  /** Workbench side: the id of the process that measured it (one process per model). */
  processId?: number;
}

export interface EngineBenchRow {
  model: EngineBenchModel;
  /** Input [height, width, channels], classes (0: not a classifier) and the batch it trained at. */
  input: [number, number, number];
  classes: number;
  batch: number;
  /** What the row measures, e.g. 'SPGAN step: 2 generators (width 16, 3 blocks), 2 PatchGANs, Siamese; inference = G'. */
  description: string;
  workbench: EngineBenchSide;
  pytorch: EngineBenchSide | null;
  /** Ratios of medians, workbench / pytorch images per second; null without a baseline. */
  trainRatio: number | null;
  inferRatio: number | null;
  inferRatioBatch1: number | null;
  /** workbench / pytorch peak memory (below 1: the workbench needs less). */
  memoryRatio: number | null;
}

export interface EngineBenchResult {
  engine: EngineInfo;
  batchSize: number;
  repeats: number;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number };
  rows: EngineBenchRow[];
  /** Why there is no PyTorch column, when there is none. */
  pytorchNote: string | null;
  /** How peak memory was measured on this machine (per model, or the process's peak so far). */
  memoryNote: string;
  /** Models whose benchmark process failed, each message naming its model; their rows are missing. */
  failures?: { model: EngineBenchModel; message: string }[];
}

export const engineCalls = {
  'engine.info': call<EngineInfo>()(
    z
      .object({
        /** Probe this backend instead of the `backend` setting. */
        backend: z.enum(backendRequests).optional(),
        /** Probe again instead of answering from the cache. */
        refresh: z.boolean().optional(),
      })
      .strict(),
    'The compute engine jobs run on (probed in a child process, cached).',
  ),
};
