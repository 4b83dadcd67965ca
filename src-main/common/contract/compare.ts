import { z } from 'zod';
import { call } from './define.ts';
import type { JobSummary } from './jobs.ts';

/**
 * Model export, latency, import and comparison. Export, latency and import
 * run as jobs (kinds 'models.export', 'models.latency', 'models.import'); the
 * calls here queue them and return the job, like `jobs.submit` would.
 */

export const exportFormats = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof exportFormats)[number];

const modelId = z.number().int().positive();
const backend = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional();

export const exportParamsSchema = z
  .object({
    modelId,
    format: z.enum(exportFormats),
    /** Also copy the exported files into this folder (absolute path, outside or inside the workspace). */
    outDir: z.string().min(1).optional(),
    /** ONNX only: 'nhwc' (default, the workbench's layout: one Transpose at the graph start) or 'nchw'. */
    inputLayout: z.enum(['nhwc', 'nchw']).default('nhwc'),
    /** Run the exported file against the workbench's forward pass on random inputs before recording it. */
    verify: z.boolean().default(true),
  })
  .strict();
export type ExportParams = z.output<typeof exportParamsSchema>;

export const latencyParamsSchema = z
  .object({
    modelId,
    /** Batch 1 is always measured; this adds a second, larger batch. */
    batchSize: z.number().int().min(1).max(1024).default(32),
    warmup: z.number().int().min(0).max(100).default(3),
    runs: z.number().int().min(2).max(1000).default(10),
    /** Also time the ONNX export of the model in ONNX Runtime (CPU) beside the TF.js engine. */
    onnxRuntime: z.boolean().default(false),
  })
  .strict();
export type LatencyParams = z.output<typeof latencyParamsSchema>;

export const importParamsSchema = z
  .object({
    /** A model folder (model.json + weights.bin) written by the workbench. */
    path: z.string().min(1),
    /** Display name; default: the folder name. */
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ImportParams = z.output<typeof importParamsSchema>;

/** Timing of one batch size, in milliseconds per forward pass of the whole batch. */
export interface LatencyStatsDto {
  warmup: number;
  runs: number;
  meanMs: number;
  stdMs: number;
  minMs: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  /** batch / mean time. */
  imagesPerSecond: number;
}

/** What a latency job stores under models.metrics.latency (merged, so other metrics stay). */
export interface LatencyRecord {
  measuredAt: string;
  jobId: number;
  /** e.g. 'wasm (CPU, 2 threads)'. */
  engine: string;
  inputSize: [number, number, number];
  /** By batch size ('1', '32'). */
  tfjs: Record<string, LatencyStatsDto>;
  onnxRuntime?: Record<string, LatencyStatsDto>;
}

export interface ComparedModel {
  id: number;
  name: string;
  arch: string;
  method: string | null;
  rate: number | null;
  /** Test accuracy as a fraction (models.metrics.accuracy), null when never evaluated. */
  accuracy: number | null;
  /** Exact multiply-accumulates of one image through the model as it is (convs, FC, shortcut), from the FLOPs counter. */
  flops: number;
  /** The SFP paper's figure: 3x3 conv MACs only, with keep-rate factors r / r^2 (CIFAR ResNets). */
  paperFlops: number | null;
  /** Reductions against the unpruned architecture (0..1). */
  flopsReduction: number;
  paperFlopsReduction: number | null;
  params: number;
  /** Conv filters zeroed by soft pruning (all-zero kernels), summed over layers. */
  zeroFilters: number;
  latency: LatencyRecord | null;
  /**
   * For a model made by hard pruning: its inference time against its soft-pruned parent's, as
   * the compact job measured them (same engine, same batch, alternating runs); null otherwise.
   */
  compactSpeedup: { speedup: number; batch: number; latencyMs: number; parentLatencyMs: number } | null;
  /** Weights file bytes on disk. */
  sizeBytes: number;
  datasetId: number | null;
  jobId: number | null;
  parentModelId: number | null;
  createdAt: string;
}

export interface ScatterPoint {
  modelId: number;
  label: string;
  x: number;
  y: number;
}

export interface LayerFilters {
  /** Conv node name, e.g. 'stage2/block1/conv1'. */
  layer: string;
  role: string;
  /** By model id: filters in the graph (after hard pruning), null when the model has no such layer. */
  filters: Record<string, number | null>;
  /** By model id: filters whose kernel is all zero (soft-pruned). */
  zeroFilters: Record<string, number | null>;
}

export interface LineageStep {
  modelId: number;
  name: string;
  method: string | null;
  rate: number | null;
  dataset: { id: number; name: string } | null;
  job: { id: number; kind: string; title: string; status: string } | null;
}

export interface ModelComparison {
  models: ComparedModel[];
  scatter: {
    /** x: FLOPs (exact), y: accuracy; models without accuracy are left out. */
    accuracyVsFlops: ScatterPoint[];
    /** x: mean batch-1 latency (ms) on the TF.js engine, y: accuracy. */
    accuracyVsLatency: ScatterPoint[];
  };
  layers: LayerFilters[];
  /** By model id: the model first, then its parent, grandparent ... */
  lineage: Record<string, LineageStep[]>;
}

export const compareCalls = {
  'compare.models': call<ModelComparison>()(
    z.object({ ids: z.array(modelId).min(2).max(20) }).strict(),
    'Comparison of two or more models: table, accuracy-vs-FLOPs/latency scatter, per-layer filters, lineage.',
  ),
  'export.start': call<JobSummary>()(
    exportParamsSchema.extend({ backend }).strict(),
    'Queue a models.export job (ONNX or TF.js layers); its files are recorded as export-onnx / export-tfjs artifacts.',
  ),
  'latency.start': call<JobSummary>()(
    latencyParamsSchema.extend({ backend }).strict(),
    'Queue a models.latency job; the result is merged into the model metrics.',
  ),
  'models.import': call<JobSummary>()(
    importParamsSchema.extend({ backend }).strict(),
    'Queue a models.import job: validates a model folder (spec, architecture, weights, checksum) and records it; refuses corrupt or unknown models.',
  ),
};
