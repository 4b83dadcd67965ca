import { z } from 'zod';
import { call } from './define.ts';

/** Architectures of the model registry (src-main/models/registry.ts keeps the builders). */
export const modelNames = ['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'resnet18', 'resnet34', 'resnet50'] as const;
export type ModelName = (typeof modelNames)[number];

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
  family: 'cifar' | 'imagenet';
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

export const modelsCalls = {
  'models.list': call<ModelSummary[]>()(
    z.object({ datasetId: z.number().int().positive().optional(), method: z.string().optional(), arch: z.string().optional() }).strict(),
    'Models in the workspace, newest first.',
  ),
  'models.get': call<ModelDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'One model with its graph spec and lineage.'),
  'models.flops': call<FlopsReport>()(z.object({ id: z.number().int().positive() }).strict(), 'Exact per-layer MACs and parameters, and the SFP paper-style FLOPs reduction.'),
  'models.architectures': call<ModelInfo[]>()(z.object({}).strict(), 'Architectures of the model registry.'),
};
