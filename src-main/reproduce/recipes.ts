/**
 * The training protocols the catalogue builds its runs from: the papers' own
 * (methods.md, the reference code's defaults) for the paper scale, and short
 * schedules on a few thousand images for the quick scale.
 */
import type { TrainConfigInput } from '../common/contract/train.ts';
import type { RunContext } from './entry.ts';

type PruneBlock = NonNullable<TrainConfigInput['prune']>;
type Step = { transform: string; options: Record<string, unknown> };

export interface RecipeOptions {
  arch: string;
  prune?: PruneBlock;
  /** Random Erasing with the paper's defaults (p 0.5, area 0.02-0.4, r1 0.3, random fill), after normalisation as in the reference. */
  randomErasing?: boolean;
  eraseRelu?: boolean;
}

const cifarNormalize: Step = { transform: 'normalize', options: { mean: [125.3 / 255, 123.0 / 255, 113.9 / 255], std: [63.0 / 255, 62.1 / 255, 66.7 / 255], scale: 255 } };
const fmnistNormalize: Step = { transform: 'normalize', options: { mean: [0.286], std: [0.353], scale: 255 } };
const erasing: Step = { transform: 'randomErasing', options: { preset: 'paper' } };

function steps(crop: Step[], normalize: Step, o: RecipeOptions): { spec: { steps: Step[] } } {
  return { spec: { steps: [...crop, normalize, ...(o.randomErasing ? [erasing] : [])] } };
}

function model(o: RecipeOptions): TrainConfigInput['model'] {
  return { arch: o.arch as NonNullable<TrainConfigInput['model']>['arch'], options: o.eraseRelu ? { eraseRelu: true } : {} };
}

function dataset(ctx: RunContext, extra: Omit<TrainConfigInput['dataset'], 'id'>): TrainConfigInput['dataset'] {
  return { id: ctx.datasetId, ...(ctx.split ? { split: ctx.split } : {}), ...extra };
}

/**
 * SFP's CIFAR-10 recipe (also used for EraseReLU): 200 epochs, batch 128, SGD
 * Nesterov 0.9, wd 5e-4, lr 0.01 for epoch 0 then 0.1, x0.2 at 60/120/160;
 * flip + 4-px pad crop; the reference mean/std. All training images (no
 * validation hold-out: the paper reports the final test accuracy).
 */
export function cifarPaper(ctx: RunContext, o: RecipeOptions): TrainConfigInput {
  return {
    dataset: dataset(ctx, { validationFraction: 0 }),
    model: model(o),
    epochs: 200,
    batchSize: 128,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'step', milestones: [60, 120, 160], gamma: 0.2 },
    warmup: { epochs: 1, lr: 0.01 },
    augment: steps([{ transform: 'padCrop', options: { padding: 4 } }, { transform: 'horizontalFlip', options: { p: 0.5 } }], cifarNormalize, o),
    ...(o.prune ? { prune: o.prune } : {}),
    seed: ctx.seed,
  };
}

/**
 * Random Erasing's recipe (reference README): 300 epochs, batch 128, lr 0.1 x0.1
 * at 150 and 225, momentum 0.9, wd 5e-4, pad-4 crop + flip.
 */
export function erasingPaper(ctx: RunContext, o: RecipeOptions & { grayscale: boolean }): TrainConfigInput {
  return {
    dataset: dataset(ctx, { validationFraction: 0 }),
    model: model(o),
    epochs: 300,
    batchSize: 128,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
    schedule: { kind: 'step', milestones: [150, 225], gamma: 0.1 },
    augment: steps([{ transform: 'padCrop', options: { padding: 4 } }, { transform: 'horizontalFlip', options: { p: 0.5 } }], o.grayscale ? fmnistNormalize : cifarNormalize, o),
    seed: ctx.seed,
  };
}

/** SFP's ImageNet recipe: 100 epochs, batch 256, lr 0.1 x0.1 every 30 epochs, wd 1e-4; RandomResizedCrop 224 + flip. */
export function imagenetPaper(ctx: RunContext, o: RecipeOptions): TrainConfigInput {
  return {
    dataset: dataset(ctx, { validationFraction: 0, inputSize: [224, 224] }),
    model: model(o),
    epochs: 100,
    batchSize: 256,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
    schedule: { kind: 'step', milestones: [30, 60, 90], gamma: 0.1 },
    augment: steps(
      [
        { transform: 'randomResizedCrop', options: { size: [224, 224] } },
        { transform: 'horizontalFlip', options: { p: 0.5 } },
      ],
      { transform: 'normalize', options: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255 } },
      o,
    ),
    ...(o.prune ? { prune: o.prune } : {}),
    seed: ctx.seed,
  };
}

export interface QuickScale {
  /** Training images (10% of them held out for validation; nothing is chosen on test). */
  limit: number;
  testLimit: number;
  epochs: number;
  batchSize: number;
}

/** The quick scale on Fashion-MNIST: 6,000 images, 10 epochs (a run is a few minutes on 2 cores). */
export const quickFashionMnist: QuickScale = { limit: 6000, testLimit: 5000, epochs: 10, batchSize: 64 };
/** The quick scale on CIFAR-10-style data: 5,000 images, 10 epochs. */
export const quickCifar: QuickScale = { limit: 5000, testLimit: 2000, epochs: 10, batchSize: 64 };

/**
 * The quick schedule: SGD Nesterov 0.9, wd 5e-4 (SFP's), per-step cosine from
 * lr 0.1, pad-crop + flip, 10% of the training images held out for validation.
 */
export function quickRecipe(ctx: RunContext, o: RecipeOptions & { grayscale: boolean; scale: QuickScale }): TrainConfigInput {
  return {
    dataset: dataset(ctx, { limit: o.scale.limit, testLimit: o.scale.testLimit, validationFraction: 0.1 }),
    model: model(o),
    epochs: o.scale.epochs,
    batchSize: o.scale.batchSize,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', minLr: 0 },
    augment: steps(
      [{ transform: 'padCrop', options: { padding: o.grayscale ? 2 : 4 } }, { transform: 'horizontalFlip', options: { p: 0.5 } }],
      o.grayscale ? fmnistNormalize : cifarNormalize,
      o,
    ),
    ...(o.prune ? { prune: o.prune } : {}),
    seed: ctx.seed,
  };
}
