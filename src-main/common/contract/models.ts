import { z } from 'zod';
import { call } from './define.ts';
import { jobPlacement, type FileEntry, type JobSummary } from './jobs.ts';

/**
 * The model registry, named once: every architecture with the facts any side
 * needs (forms, validation, FLOPs tables). `src-main/models/specs.ts` builds
 * each family; a new model of an existing family is one row here, and the
 * registry test covers it automatically (see the recipe at the top of specs.ts).
 */
export const modelCatalogue = [
  { name: 'resnet20', family: 'cifar', depth: 20 },
  { name: 'resnet32', family: 'cifar', depth: 32 },
  { name: 'resnet44', family: 'cifar', depth: 44 },
  { name: 'resnet56', family: 'cifar', depth: 56 },
  { name: 'resnet110', family: 'cifar', depth: 110 },
  { name: 'resnet18', family: 'imagenet', depth: 18, blocks: [2, 2, 2, 2], bottleneck: false },
  { name: 'resnet34', family: 'imagenet', depth: 34, blocks: [3, 4, 6, 3], bottleneck: false },
  { name: 'resnet50', family: 'imagenet', depth: 50, blocks: [3, 4, 6, 3], bottleneck: true },
] as const;
export type ModelCatalogueEntry = (typeof modelCatalogue)[number];
export type ModelName = ModelCatalogueEntry['name'];
export type ModelFamily = ModelCatalogueEntry['family'];
export const modelNames = modelCatalogue.map((m) => m.name) as [ModelName, ...ModelName[]];

/** Build options of every registry model. */
export const modelOptionsSchema = z
  .object({
    /** [height, width] the model is built for; defaults 32x32 (CIFAR family) or 224x224 (ImageNet family). */
    inputSize: z.tuple([z.number().int().min(1).max(4096), z.number().int().min(1).max(4096)]).optional(),
    /** 1 for Fashion-MNIST, 3 for RGB. */
    channels: z.number().int().min(1).max(16).optional(),
    numClasses: z.number().int().min(1).max(100000).optional(),
    /** CIFAR ResNets: 'A' parameter-free shortcut (SFP reference), 'B' 1x1 conv + BN. ImageNet ResNets always use 'B'. */
    shortcut: z.enum(['A', 'B']).optional(),
    /** EraseReLU: true / 1 removes the ReLU after the addition in every block, a number in (0,1) in that proportion of blocks. */
    eraseRelu: z.union([z.boolean(), z.number().min(0).max(1)]).optional(),
    /** PatchShuffle layers (training only): where ('input', 'stem', 'stage1'...'stage4'), patch size, probability per image. */
    patchShuffle: z
      .object({
        patch: z.number().int().min(2).max(16).optional(),
        probability: z.number().min(0).max(1).optional(),
        at: z.array(z.string().regex(/^(input|stem|stage[1-4])$/)).min(1).optional(),
      })
      .strict()
      .optional(),
    /** BatchNorm always in inference mode (re-ID IDE models fine-tuned with small batches). */
    frozenBatchNorm: z.boolean().optional(),
    /** Multiplies every stage width (1 = paper widths). */
    widthMultiplier: z.number().positive().max(8).optional(),
  })
  .strict();
export type ModelOptionsInput = z.input<typeof modelOptionsSchema>;

export interface ModelInfo {
  name: ModelName;
  family: ModelFamily;
  depth: number;
  description: string;
  defaultInputSize: [number, number];
  /** Smallest input height/width the network accepts (its total downsampling). */
  minInputSize: number;
}

/** A row of the models table. */
export interface ModelSummary {
  id: number;
  name: string;
  arch: string;
  /** baseline | sfp | psfp | finetune | compact | ... */
  method: string | null;
  rate: number | null;
  parentModelId: number | null;
  datasetId: number | null;
  jobId: number | null;
  /** Workspace-relative folder with model.json + weights.bin. */
  dir: string;
  /** accuracy, params, macs, flops reductions, latency ... */
  metrics: Record<string, unknown>;
  createdAt: string;
}

export interface ModelDetail extends ModelSummary {
  /** The graph spec (src-main/nn/README.md). */
  spec: unknown;
  /** Ancestors, nearest first (parent, grandparent, ...). */
  lineage: ModelSummary[];
  /** Models derived from this one. */
  children: ModelSummary[];
}

export interface LayerCostRow {
  name: string;
  op: 'conv2d' | 'dense';
  role: string | null;
  kernel: number[];
  outShape: number[];
  macs: number;
  params: number;
}

export interface FlopsReport {
  modelId: number;
  arch: string;
  /** Exact count of the model as stored (all conv, shortcut-conv and FC multiply-accumulates, per image). */
  macs: number;
  macs3x3: number;
  params: number;
  layers: LayerCostRow[];
  /** The unpruned architecture at the same input size and options. */
  baseline: { macs: number; macs3x3: number; params: number };
  /** Reduction of the exact count vs the baseline (0 for an unpruned model). */
  reduction: number;
  /** 3x3-only reduction of this model vs the baseline (the SFP paper's accounting applied to real channel counts). */
  reduction3x3: number;
  /** The paper's formula for the model's pruning rate (null when not pruned): what the SFP tables print. */
  paperStyle: { rate: number; baselineMacs3x3: number; reduction: number } | null;
}

/** A conv's width in a pruned model: filters kept in the graph against the unpruned architecture's. */
export interface ConvWidth {
  /** Filters in the stored graph (after hard pruning). */
  kept: number;
  /** Filters of the same conv in the registry architecture (same options and input). */
  original: number;
  /** Filters whose kernel is all zero in the saved weights (soft pruning); null when the weights were not read. */
  zeroed: number | null;
  /** kept < original or zeroed > 0. */
  pruned: boolean;
}

/** One node of `models.graph`, in the spec's (topological) order. */
export interface GraphViewNode {
  name: string;
  op: string;
  /**
   * Why the node is there: a conv's role ('stem', 'block-conv', 'block-last', 'downsample', 'other'),
   * 'input', 'shortcut' (parameter-free shortcut), 'residual-add', 'norm', 'activation', 'pool',
   * 'classifier', 'scatter' (hard pruning), 'augment' (training-only).
   */
  role: string;
  /** First segment of the name ('stem', 'stage2'), null for top-level nodes; the view groups and collapses by it. */
  stage: string | null;
  /** Nodes read, in order (an add reads the main branch first, then the shortcut). */
  inputs: string[];
  inShapes: number[][];
  /** [H, W, C] or [F] (batch left out), for the model's input size. */
  outShape: number[];
  /** On the shortcut path of a residual block (shortcut, downsample conv and its BN). */
  shortcut: boolean;
  /** Trainable parameters of this node. */
  params: number;
  /** Multiply-accumulates per image (convs and dense layers; 0 for the others). */
  macs: number;
  /** Op settings for display: kernel, strides, padding, channels ... */
  attrs: Record<string, string | number | boolean>;
  /** Convs only. */
  width: ConvWidth | null;
  /** Convs only: L2 norm of each filter in the saved weights, null when not read (large weights files). */
  filterNorms: number[] | null;
}

export interface GraphViewEdge {
  from: string;
  to: string;
  /** 'residual': the shortcut path of a residual block, into its addition. */
  kind: 'data' | 'residual';
}

export interface ModelGraph {
  modelId: number;
  name: string;
  arch: string;
  method: string | null;
  input: { height: number; width: number; channels: number };
  nodes: GraphViewNode[];
  edges: GraphViewEdge[];
  /** Node names of the spec's outputs (logits, features, classMaps). */
  outputs: Record<string, string>;
  /** Sum over nodes (equals `models.flops` params and MACs). */
  params: number;
  macs: number;
  /** Convs narrower than the architecture's or with zeroed filters. */
  prunedConvs: number;
  /** Whether filter norms / zeroed counts were read from the weights file. */
  weightsRead: boolean;
}

/**
 * Model export, latency, import and comparison. Export, latency and import
 * run as jobs (kinds 'models.export', 'models.latency', 'models.import'); the
 * calls here queue them and return the job, like `jobs.submit` would.
 */

export const exportFormats = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof exportFormats)[number];

const modelId = z.number().int().positive();
const placement = jobPlacement;

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
  /** Test accuracy as a fraction (models.metrics.accuracy), null when never evaluated; for a soft-pruned run, after its last mask (its compact model gives the same outputs and inherits it). */
  accuracy: number | null;
  /** Soft-pruned runs (SFP/PSFP): the same after re-estimating BatchNorm statistics on a few training batches (models.metrics.accuracyBnRecalibrated); null for other models. */
  accuracyBnRecalibrated: number | null;
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

const exportCalls = {
  'models.compare': call<ModelComparison>()(
    z.object({ ids: z.array(modelId).min(1).max(20) }).strict(),
    'Comparison of two or more models: table, accuracy-vs-FLOPs/latency scatter, per-layer filters, lineage.',
  ),
  'models.export': call<JobSummary>()(
    exportParamsSchema.extend(placement).strict(),
    'Queue a models.export job (ONNX or TF.js layers); its files are recorded as export-onnx / export-tfjs artifacts.',
  ),
  'models.latency': call<JobSummary>()(
    latencyParamsSchema.extend(placement).strict(),
    'Queue a models.latency job; the result is merged into the model metrics.',
  ),
  'models.import': call<JobSummary>()(
    importParamsSchema.extend(placement).strict(),
    'Queue a models.import job: validates a model folder (spec, architecture, weights, checksum) and records it; refuses corrupt or unknown models.',
  ),
};

export const modelsCalls = {
  ...exportCalls,
  'models.list': call<ModelSummary[]>()(
    z.object({ datasetId: z.number().int().positive().optional(), method: z.string().optional(), arch: z.string().optional() }).strict(),
    'Models in the workspace, newest first.',
  ),
  'models.get': call<ModelDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'One model with its graph spec and lineage.'),
  'models.files': call<FileEntry[]>()(
    z.object({ id: z.number().int().positive() }).strict(),
    'The files of a model (its folder: graph spec and weights; its exports), with absolute paths, for download.',
  ),
  'models.flops': call<FlopsReport>()(z.object({ id: z.number().int().positive() }).strict(), 'Exact per-layer MACs and parameters, and the SFP paper-style FLOPs reduction.'),
  'models.graph': call<ModelGraph>()(
    z.object({ id: z.number().int().positive() }).strict(),
    'The model as a graph from its stored spec: nodes in topological order (op, role, shapes, params, MACs), edges with residual connections, pruned conv widths.',
  ),
  'models.architectures': call<ModelInfo[]>()(z.object({}).strict(), 'Architectures of the model registry.'),
};
