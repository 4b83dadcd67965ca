import { z } from 'zod';

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

// Calls of this domain are declared here and merged into the contract in index.ts.
export const modelsCalls = {};
