import { z } from 'zod';
import { call } from './define.ts';
import { modelNames } from './models.ts';
import { jobPlacement } from './jobs.ts';
import type { JobSummary } from './jobs.ts';

/**
 * Weakly-supervised localization (src-main/localize): generated localization
 * sets, CAM / SPG training and the two box protocols. Jobs:
 * 'localize.generate', 'localize.train', 'localize.eval', 'localize.maps'.
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
    /** Object scale range relative to its source size (28 px Fashion-MNIST items: 22-36 px on 64, so they move and the centre box is a real baseline). */
    scale: z.tuple([z.number().min(0.25).max(8), z.number().min(0.25).max(8)]).default([0.8, 1.3]),
    /** Multiplier of the background's gray values (textured): higher = the object's brightness gives less away (at 0.5 the input as the map scores MaxBoxAccV2 ~74%). */
    backgroundContrast: fraction.default(0.8),
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

/**
 * Thresholds of one SPG stage on a [0,1] map: >= high is object, < low is
 * background, between is ignored. Defaults on each field (what forms and
 * `--help-config` read) and on the whole stage.
 */
const stageSchema = (high: number, low: number) =>
  z
    .object({ high: fraction.default(high), low: fraction.default(low) })
    .strict()
    .refine((s) => s.low < s.high, { message: 'low must be below high' })
    .default({ high, low });

/** SPG (Self-produced Guidance, ECCV 2018); defaults are the paper's. */
export const spgConfigSchema = z
  .object({
    /** Stage 1: from the attention map (class map of the GT class); supervises the branch on the deeper layer. */
    stage1: stageSchema(0.7, 0.05),
    /** Stage 2: from the deeper branch's sigmoid; supervises the branch on the shallower layer. */
    stage2: stageSchema(0.5, 0.05),
    /** Stage 3: from the mean of both branch sigmoids; supervises the branch on the top features. */
    stage3: stageSchema(0.7, 0.1),
    /** When fewer pixels than this pass a stage's high threshold, those at or above 0.7 x the map's max are the object. */
    minObjectPixels: z.number().int().min(0).default(30),
    /** BCE weights of the three branches (deep, shallow, top); 0 turns a branch's loss off. */
    weights: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).default([1, 1, 1]),
    /** Hidden channels of each side branch (3x3 conv + ReLU, then a 1x1 conv to one map). */
    branchChannels: z.number().int().min(1).max(1024).default(32),
    /** First epoch with the guidance losses (before it: CE only). 1 = from the start, the paper's, which fine-tunes an already trained classifier; later suits training from scratch, whose first maps are noise. */
    startEpoch: z.number().int().min(1).max(1000).default(1),
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
    /** 'constant', or 'cosine': per epoch, learningRate x (1 + cos(pi x (epoch - 1) / epochs)) / 2. */
    lrSchedule: z.enum(['constant', 'cosine']).default('constant'),
    momentum: z.number().min(0).max(0.999).default(0.9),
    weightDecay: z.number().min(0).max(0.1).default(5e-4),
    /** Use only this many training images (the first of a seeded shuffle). */
    limit: z.number().int().positive().optional(),
    seed: z.number().int().default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type LocalizeTrainParams = z.output<typeof localizeTrainSchema>;

/**
 * Named training recipes: the fields a recipe sets, under whatever the config
 * gives (the config wins), then validated like any config. `source` says where
 * each value comes from.
 */
export interface LocalizeTrainRecipe {
  title: string;
  source: string;
  /** Fields of the train config the recipe sets. */
  params: Partial<z.input<typeof localizeTrainSchema>>;
  /** What the recipe cannot set (a workspace model) and asks for. */
  needs?: string;
}

export const localizeTrainRecipes = {
  'spg-ilsvrc-paper': {
    title: 'SPG, paper scale, ILSVRC',
    source:
      "SPG's reference implementation (xiaomengyc/SPG, scripts/train_imagenet_full_v5.sh): fine-tuned from an ImageNet classifier for 5 epochs, SGD lr 0.001 without decay, batch 20; 224 x 224 input (methods.md section 7); the paper's stage thresholds. Inception-v3 is not in the registry: ResNet-50, as in wsolevaluation's SPG runs; weight decay 1e-4 is wsolevaluation's default.",
    params: { method: 'spg', arch: 'resnet50', widthMultiplier: 1, imageSize: [224, 224], epochs: 5, batchSize: 20, learningRate: 0.001, lrSchedule: 'constant', momentum: 0.9, weightDecay: 1e-4 },
    needs: 'initFromModelId: an imported ImageNet ResNet-50 (the paper fine-tunes a pretrained backbone).',
  },
  'spg-cub-paper': {
    title: 'SPG, paper scale, CUB-200-2011',
    source:
      "SPG's reference implementation (xiaomengyc/SPG, exper/train_frame.py defaults: 21 epochs, SGD lr 0.001, batch 20; its README links a CUB model but no CUB script, so these defaults are the schedule); 224 x 224 input; the paper's stage thresholds; ResNet-50 in place of Inception-v3.",
    params: { method: 'spg', arch: 'resnet50', widthMultiplier: 1, imageSize: [224, 224], epochs: 21, batchSize: 20, learningRate: 0.001, lrSchedule: 'constant', momentum: 0.9, weightDecay: 1e-4 },
    needs: 'initFromModelId: an imported ImageNet ResNet-50 (the paper fine-tunes a pretrained backbone).',
  },
  'cpu-quick': {
    title: 'CPU quick (the bench:localize schedule)',
    source: 'BENCHMARKS.md, "Weakly-supervised localization": CIFAR ResNet-20 at width 0.5 from scratch on a 64 px generated set; SPG guidance from epoch 3.',
    params: { arch: 'resnet20', widthMultiplier: 0.5, epochs: 6, batchSize: 32, learningRate: 0.03, lrSchedule: 'cosine', momentum: 0.9, weightDecay: 5e-4, spg: { startEpoch: 3 } },
  },
} satisfies Record<string, LocalizeTrainRecipe>;
export type LocalizeTrainRecipeName = keyof typeof localizeTrainRecipes;
export const localizeTrainRecipeNames = Object.keys(localizeTrainRecipes) as [LocalizeTrainRecipeName, ...LocalizeTrainRecipeName[]];

/**
 * A config with a recipe under it: the recipe's fields, then the config's
 * (nested `spg` merged field by field). Throws naming `recipe` for an unknown name.
 */
export function applyLocalizeRecipe(recipe: string, config: Record<string, unknown>): Record<string, unknown> {
  const r = (localizeTrainRecipes as Record<string, LocalizeTrainRecipe>)[recipe];
  if (!r) throw new Error(`recipe: unknown recipe "${recipe}" (known: ${localizeTrainRecipeNames.join(', ')}).`);
  const spg = { ...(r.params.spg ?? {}), ...((config.spg as Record<string, unknown> | undefined) ?? {}) };
  return { ...r.params, ...config, ...(Object.keys(spg).length > 0 ? { spg } : {}) };
}

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

/** Colormaps of the heatmap PNGs. */
export const heatmapColormaps = ['jet', 'viridis', 'gray'] as const;
export type HeatmapColormap = (typeof heatmapColormaps)[number];

/** Params of a 'localize.maps' job: heatmaps, predicted boxes and (SPG) stage masks of chosen samples. */
export const localizeMapsSchema = z
  .object({
    modelId: z.number().int().positive(),
    datasetId: z.number().int().positive(),
    /** The samples (ids of `datasetId`); without them, the first `limit` samples (of `split` when given). */
    sampleIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
    split: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(1000).default(16),
    /** Fraction of the map's max: the predicted box is the largest connected component above it. */
    threshold: fraction.default(0.2),
    colormap: z.enum(heatmapColormaps).default('jet'),
    /** Weight of the heatmap over the image (in the model's channels) in the PNG: 1 = the heatmap alone, 0.5 = half over the image. */
    blend: fraction.default(1),
    /** Also copy the PNGs and maps.json into this folder (absolute path). */
    outDir: z.string().min(1).optional(),
  })
  .strict();
export type LocalizeMapsParams = z.output<typeof localizeMapsSchema>;

/** A ground-truth box with its IoU against the predicted box. */
export interface LocalizeGtBox {
  box: [number, number, number, number];
  iou: number;
}

/** One sample of a 'localize.maps' job (an entry of its maps.json). */
export interface LocalizeMapItem {
  /** Position in the job's samples. */
  index: number;
  sampleId: number;
  /** The stored image's size: the map, the PNG and every box are in its pixels. */
  width: number;
  height: number;
  /** First pixel of this image's map in maps.u8 (its stage masks: 3 x offset in stages.u8). */
  offset: number;
  /** The sample's class (-1 when unlabeled) and the predicted class, with names where the dataset has them. */
  label: number;
  labelName: string | null;
  predicted: number;
  predictedName: string | null;
  /** Softmax probability of the predicted class. */
  score: number;
  /** Box of the largest component of the predicted class's map at the threshold, [x0, y0, x1, y1) with exclusive ends. */
  box: [number, number, number, number];
  gtBoxes: LocalizeGtBox[];
  /** Best IoU over the ground-truth boxes (0 without any). */
  iou: number;
  /** The heatmap PNG, relative to the maps folder. */
  png: string;
}

/** The stored result of a 'localize.maps' job. */
export interface LocalizeMapsResult {
  modelId: number;
  datasetId: number;
  method: 'cam' | 'spg';
  threshold: number;
  colormap: HeatmapColormap;
  blend: number;
  /** The model's input size (each item has its image's own). */
  width: number;
  height: number;
  /** Stage thresholds the SPG model was trained with (null for CAM). */
  stages: { high: number; low: number }[] | null;
  items: LocalizeMapItem[];
  /** Workspace-relative folder with the PNGs, maps.json, maps.u8 (the maps, 0-255) and (SPG) stages.u8. */
  dir: string;
  /** The copy in `outDir`, when asked for. */
  outDir: string | null;
}

/** Stage mask values: 0 background, 1 ignored, 2 object. */
export type StageMask = number[];

/** One sample of a maps job at a threshold of the caller's choice, for the Localization page. */
export interface LocalizeMapView {
  jobId: number;
  modelId: number;
  method: 'cam' | 'spg';
  /** The image's size (the item's). */
  width: number;
  height: number;
  item: LocalizeMapItem;
  threshold: number;
  /** The predicted class's map, min-max normalised, 0-255, row-major at image resolution. */
  values: number[];
  /** SPG only: the three stage masks (0 background, 1 ignored, 2 object) at image resolution, with their thresholds. */
  stages: { stage: number; high: number; low: number; mask: StageMask }[] | null;
}

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

/** One class of an evaluation, over all its evaluated images of that class (fractions). */
export interface LocalizePerClass {
  label: number;
  name: string | null;
  images: number;
  /** Predicted class right. */
  top1Cls: number;
  /** Box of the GT class's map at IoU >= 0.5. */
  gtKnownLoc: number;
  /** Both. */
  top1Loc: number;
}

export const localizeCalls = {
  'localize.maps': call<JobSummary>()(
    localizeMapsSchema.extend(jobPlacement).strict(),
    "Queue a localize.maps job: per sample a heatmap PNG of the predicted class's map, the predicted box at the threshold, the ground-truth boxes with IoU, and SPG's stage masks.",
  ),
  'localize.mapView': call<LocalizeMapView>()(
    z
      .object({
        jobId: z.number().int().positive(),
        /** The sample (one of the job's). */
        sampleId: z.number().int().positive(),
        /** Box threshold; default the job's. */
        threshold: fraction.optional(),
      })
      .strict(),
    'One sample of a finished localize.maps job: its map, the predicted box and IoU at a threshold, ground-truth boxes and (SPG) the stage masks.',
  ),
  'localize.evals': call<LocalizeEvalSummary[]>()(
    z.object({ modelId: z.number().int().positive().optional() }).strict(),
    'Finished localization evaluations (both protocols and the baselines), newest first.',
  ),
  'localize.images': call<{ total: number; width: number; height: number; items: LocalizeImage[]; perClass: LocalizePerClass[] }>()(
    z
      .object({
        evalJobId: z.number().int().positive(),
        /** 'all'; 'correct': class right and box hit (IoU >= 0.5, a Top-1 Loc hit); only images whose class is wrong; or whose box misses (IoU < 0.5). */
        filter: z.enum(['all', 'correct', 'wrongClass', 'wrongBox']).default('all'),
        /** Only images of this class (index), after `filter`. */
        label: z.number().int().min(0).optional(),
        order: z.enum(['index', 'worstIou']).default('index'),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(50),
      })
      .strict(),
    'Per-image results of one evaluation: class, predicted box, ground-truth boxes, IoU; and the accuracies per class over all its images.',
  ),
  'localize.map': call<{ width: number; height: number; values: number[] }>()(
    z.object({ evalJobId: z.number().int().positive(), index: z.number().int().min(0) }).strict(),
    "The normalised attention map (0-255, row-major, image resolution) of one evaluated image, the GT class's map.",
  ),
};
