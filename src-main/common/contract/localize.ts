import { z } from 'zod';
import { call } from './define.ts';
import { modelNames } from './models.ts';

/**
 * Weakly-supervised localization (src-main/localize): generated localization
 * sets, CAM / SPG training and the two box protocols. Jobs:
 * 'localize.generate', 'localize.train', 'localize.eval'.
 */

const fraction = z.number().min(0).max(1);

/** Params of a 'localize.generate' job: a seeded localization set from a labeled dataset. */
export const localizeGenerateSchema = z
  .object({
    /** Labeled dataset whose images are the objects (e.g. an imported Fashion-MNIST). */
    objectDatasetId: z.number().int().positive(),
    /** Dataset whose images (in gray) are the backgrounds of the 'textured' recipe (e.g. CIFAR-10). */
    backgroundDatasetId: z.number().int().positive().optional(),
    recipe: z.enum(['textured', 'cluttered']).default('textured'),
    /** Side of the square canvas. */
    canvas: z.number().int().min(16).max(256).default(64),
    /** Object scale range relative to its source size. */
    scale: z.tuple([z.number().min(0.25).max(8), z.number().min(0.25).max(8)]).default([1, 1.6]),
    /** Multiplier of the background's gray values (textured): higher = the object's brightness gives less away. */
    backgroundContrast: fraction.default(0.5),
    /** Clutter fragments per image. */
    fragments: z.number().int().min(0).max(32).default(4),
    /** Images per split; 'val' is the held-out split MaxBoxAccV2 picks its threshold on. */
    train: z.number().int().min(1).max(200_000).default(2000),
    val: z.number().int().min(0).max(100_000).default(200),
    test: z.number().int().min(1).max(100_000).default(500),
    seed: z.number().int().default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((p) => p.scale[0] <= p.scale[1], { message: 'scale: the first value (minimum) exceeds the second (maximum)', path: ['scale'] });
export type LocalizeGenerateParams = z.output<typeof localizeGenerateSchema>;

/** Thresholds of one SPG stage on a [0,1] map: >= high is object, < low is background, between is ignored. */
const stageSchema = z
  .object({ high: fraction, low: fraction })
  .strict()
  .refine((s) => s.low < s.high, { message: 'low must be below high' });

/** SPG (Self-produced Guidance, ECCV 2018); defaults are the paper's. */
export const spgConfigSchema = z
  .object({
    /** Stage 1: from the attention map (class map of the GT class); supervises the branch on the deeper layer. */
    stage1: stageSchema.default({ high: 0.7, low: 0.05 }),
    /** Stage 2: from the deeper branch's sigmoid; supervises the branch on the shallower layer. */
    stage2: stageSchema.default({ high: 0.5, low: 0.05 }),
    /** Stage 3: from the mean of both branch sigmoids; supervises the branch on the top features. */
    stage3: stageSchema.default({ high: 0.7, low: 0.1 }),
    /** When fewer pixels than this pass a stage's high threshold, those at or above 0.7 x the map's max are the object. */
    minObjectPixels: z.number().int().min(0).default(30),
    /** BCE weights of the three branches (deep, shallow, top); 0 turns a branch's loss off. */
    weights: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).default([1, 1, 1]),
    /** Hidden channels of each side branch (3x3 conv + ReLU, then a 1x1 conv to one map). */
    branchChannels: z.number().int().min(1).max(1024).default(32),
  })
  .strict();
export type SpgConfig = z.output<typeof spgConfigSchema>;

/** Params of a 'localize.train' job. */
export const localizeTrainSchema = z
  .object({
    /** Labeled dataset with boxes (boxes are not used in training, only by localize.eval); its 'train' split, else all. */
    datasetId: z.number().int().positive(),
    /** Registry backbone; CIFAR ResNets keep a 1/4-resolution map (16x16 at 64 px), ImageNet ResNets 1/32. */
    arch: z.enum(modelNames).default('resnet20'),
    widthMultiplier: z.number().positive().max(8).default(1),
    /** [H, W]; default the dataset's image size. */
    imageSize: z.tuple([z.number().int().min(8).max(1024), z.number().int().min(8).max(1024)]).optional(),
    method: z.enum(['cam', 'spg']).default('spg'),
    spg: spgConfigSchema.default(() => spgConfigSchema.parse({})),
    /** Start from the backbone of a workspace model of the same architecture (every weight but its classifier). */
    initFromModelId: z.number().int().positive().optional(),
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(1).max(512).default(32),
    learningRate: z.number().positive().max(10).default(0.05),
    momentum: z.number().min(0).max(0.999).default(0.9),
    weightDecay: z.number().min(0).max(0.1).default(5e-4),
    /** Use only this many training images (the first of a seeded shuffle). */
    limit: z.number().int().positive().optional(),
    seed: z.number().int().default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type LocalizeTrainParams = z.output<typeof localizeTrainSchema>;

/** Params of a 'localize.eval' job: both protocols on a split, the threshold of MaxBoxAccV2 chosen on another. */
export const localizeEvalSchema = z
  .object({
    modelId: z.number().int().positive(),
    datasetId: z.number().int().positive(),
    split: z.string().min(1).default('test'),
    /** Held-out split MaxBoxAccV2 chooses its thresholds on; null: chosen on `split` itself (optimistic, flagged in the result). */
    selectSplit: z.string().min(1).nullable().default('val'),
    /** The fixed threshold of the CAM/SPG protocol (fraction of the map's max). */
    threshold: fraction.default(0.2),
    batchSize: z.number().int().min(1).max(1024).default(64),
    /** Evaluate only the first N images of each split. */
    limit: z.number().int().positive().optional(),
  })
  .strict();
export type LocalizeEvalParams = z.output<typeof localizeEvalSchema>;

/** One row of the evaluation table (a method, or a baseline). */
export interface LocalizeEvalRow {
  name: string;
  /** Fractions 0..1; null where the row has no classifier (baselines). */
  top1Cls: number | null;
  top1Loc: number | null;
  top5Loc: number | null;
  gtKnownLoc: number;
  maxBoxAccV2: number | null;
  pxap: number | null;
}

/** The stored result of a 'localize.eval' job. */
export interface LocalizeEvalResult {
  modelId: number;
  datasetId: number;
  split: string;
  /** The split the MaxBoxAccV2 thresholds were chosen on (equal to `split` when none was held out). */
  selectSplit: string;
  method: 'cam' | 'spg';
  threshold: number;
  images: number;
  /** The model first, then the no-learning baselines (input as map, centre box, whole-image box). */
  rows: LocalizeEvalRow[];
  /** Box accuracy of the model's maps on `split` over the threshold sweep, per IoU (accuracy[iou][threshold]). */
  curve: { thresholds: number[]; ious: number[]; accuracy: number[][] };
  /** Per IoU: the threshold chosen on `selectSplit`. */
  chosenThresholds: { iou: number; threshold: number }[];
  /** Workspace-relative folder with images.json and maps.u8. */
  dir: string;
}

export interface LocalizeEvalSummary extends Omit<LocalizeEvalResult, 'dir'> {
  evalJobId: number;
  modelName: string;
  createdAt: string;
}

/** One evaluated image, for the Localization page. */
export interface LocalizeImage {
  /** Index within the evaluation (maps.u8 row). */
  index: number;
  sampleId: number;
  label: number;
  predicted: number;
  /** Box of the largest component of the GT-class map at the eval's fixed threshold, in image pixels. */
  box: [number, number, number, number];
  gtBoxes: [number, number, number, number][];
  iou: number;
}

export const localizeCalls = {
  'localize.evals': call<LocalizeEvalSummary[]>()(
    z.object({ modelId: z.number().int().positive().optional() }).strict(),
    'Finished localization evaluations (both protocols and the baselines), newest first.',
  ),
  'localize.images': call<{ total: number; width: number; height: number; items: LocalizeImage[] }>()(
    z
      .object({
        evalJobId: z.number().int().positive(),
        /** 'all', or only images whose class is wrong, or whose box misses (IoU < 0.5). */
        filter: z.enum(['all', 'wrongClass', 'wrongBox']).default('all'),
        order: z.enum(['index', 'worstIou']).default('index'),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(50),
      })
      .strict(),
    'Per-image results of one evaluation: class, predicted box, ground-truth boxes, IoU.',
  ),
  'localize.map': call<{ width: number; height: number; values: number[] }>()(
    z.object({ evalJobId: z.number().int().positive(), index: z.number().int().min(0) }).strict(),
    "The normalised attention map (0-255, row-major, image resolution) of one evaluated image, the GT class's map.",
  ),
};
