import { z } from 'zod';
import { call } from './define.ts';
import { modelNames, modelOptionsSchema } from './models.ts';
import type { JobStatus, JobSummary } from './jobs.ts';

/** Params of an 'adapt.generate' job: an MNIST-M style target domain made from a grayscale dataset and colour patches. */
export const adaptGenerateSchema = z
  .object({
    /** Grayscale labeled dataset (e.g. an imported Fashion-MNIST): labels and splits carry over. */
    sourceDatasetId: z.number().int().positive(),
    /** Colour dataset whose random crops are blended in (e.g. the CIFAR-10 images). */
    patchDatasetId: z.number().int().positive(),
    /** Use only this many source images per split (seeded choice): a CPU-sized domain. */
    limitPerSplit: z.number().int().positive().max(1_000_000).optional(),
    seed: z.number().int().min(0).default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type AdaptGenerateParams = z.output<typeof adaptGenerateSchema>;

export const adaptMethods = ['source-only', 'dann', 'daaa'] as const;
export type AdaptMethod = (typeof adaptMethods)[number];

/** Params of an 'adapt.train' job: one schema for every method (fields a method does not use are ignored by it). */
export const adaptTrainSchema = z
  .object({
    method: z.enum(adaptMethods),
    /** Labeled source domain: its 'train' split is trained on, its 'test' split reported. */
    sourceDatasetId: z.number().int().positive(),
    /** Target domain: its 'train' split is used without labels; its 'test' labels only measure (never trained on). */
    targetDatasetId: z.number().int().positive(),
    /**
     * A domain of the source dataset (a top folder of a domain-folders import, e.g. Office-31's
     * 'amazon'): only its images, every labelled one trained on (such sets have no splits; no source accuracy is measured).
     */
    sourceDomain: z.string().min(1).max(200).optional(),
    /**
     * A domain of the target dataset (e.g. 'webcam'): all its images are the unlabeled training images
     * and, by labels that only measure, the target test set (Office-31's protocol). Source and target
     * may be one dataset when they name two of its domains.
     */
    targetDomain: z.string().min(1).max(200).optional(),
    arch: z.enum(modelNames).default('resnet20'),
    modelOptions: modelOptionsSchema.default({}),
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(2).max(1024).default(64),
    lr: z.number().positive().max(10).default(0.05),
    momentum: z.number().min(0).max(0.999).default(0.9),
    weightDecay: z.number().min(0).max(0.1).default(5e-4),
    /** DANN: weight of the domain classifier's loss (its gradient reversed into the features, scaled by the 2/(1+exp(-10p))-1 schedule). */
    domainWeight: z.number().min(0).max(100).default(1),
    /** DANN: hidden units of the domain classifier. */
    domainHidden: z.number().int().min(1).max(4096).default(100),
    /** DAAA: the source translated to the target's style (an SPGAN/CycleGAN translation, or any set whose samples name their source sample); same labels. */
    translatedDatasetId: z.number().int().positive().optional(),
    /** DAAA: weight of the attention alignment term (every conv stage, source image vs its translation). */
    attentionWeight: z.number().min(0).max(1000).default(1),
    /** DAAA: weight of the cross-entropy against the target's EM-estimated label posteriors (from the second epoch; re-estimated each epoch). */
    targetWeight: z.number().min(0).max(100).default(1),
    /**
     * DAAA: the first epoch trained against the EM soft labels (estimated as the epoch before it ends).
     * 2 by default; later leaves the model a warm-up, since EM on posteriors near chance collapses the target prior onto a class.
     */
    emStartEpoch: z.number().int().min(2).max(1000).default(2),
    /**
     * DAAA: 'estimated' re-estimates the target's class prior by EM (Saerens et al. 2002, the paper's "EM-style");
     * 'balanced' holds it at the source's and scales the posteriors per class to it, so the soft labels cannot all go to one class.
     */
    emPrior: z.enum(['estimated', 'balanced']).default('estimated'),
    /** Use only this many source / target training images (seeded choice). */
    limit: z.number().int().positive().optional(),
    testLimit: z.number().int().positive().optional(),
    /** [height, width] both domains are resized to; default the source's size. */
    inputSize: z.tuple([z.number().int().min(8).max(1024), z.number().int().min(8).max(1024)]).optional(),
    seed: z.number().int().min(0).default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((p) => p.method !== 'daaa' || p.translatedDatasetId !== undefined, {
    message: 'translatedDatasetId: DAAA needs the source translated to the target style (an SPGAN/CycleGAN translation of the source)',
    path: ['translatedDatasetId'],
  });
export type AdaptTrainParams = z.output<typeof adaptTrainSchema>;

/** Per-epoch record of an adaptation run. */
export interface AdaptEpoch {
  epoch: number;
  /** Losses per term, means over the epoch. */
  losses: Record<string, number>;
  sourceAccuracy: number | null;
  /** On the target's held-out labels (only measured). */
  targetAccuracy: number | null;
}

export interface AdaptTrainResult {
  method: AdaptMethod;
  /** The model's name and architecture as recorded. */
  name: string;
  arch: string;
  modelId: number | null;
  modelDir: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  history: AdaptEpoch[];
  sourceAccuracy: number | null;
  targetAccuracy: number | null;
  /** 1 / number of classes. */
  chance: number;
}

export interface AdaptRunSummary {
  jobId: number;
  title: string;
  status: JobStatus;
  method: AdaptMethod;
  /** The backbone (a comparison with source-only is only fair on the same one). */
  arch: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  history: AdaptEpoch[];
  targetAccuracy: number | null;
  sourceAccuracy: number | null;
  chance: number | null;
}

/** Params of an 'adapt.attention' job: the attention maps of an adaptation run beside a source-only run's, on a few images. */
export const adaptAttentionSchema = z
  .object({
    /** The adaptation run (a finished adapt.train job) whose model is shown. */
    jobId: z.number().int().positive(),
    /** The finished source-only run it is compared with; default the newest one on the same source, target and architecture. */
    compareJobId: z.number().int().positive().optional(),
    /** Images per row (source, translated, target). */
    count: z.number().int().min(1).max(16).default(4),
    /** The source translated to the target style, for the translated row; default the run's own (DAAA). Without one there is no translated row. */
    translatedDatasetId: z.number().int().positive().optional(),
    /** Which images are drawn. */
    seed: z.number().int().min(0).default(1),
  })
  .strict();
export type AdaptAttentionParams = z.output<typeof adaptAttentionSchema>;

/** One model's view of one image: an attention map per stage (PNG, the stage's resolution) and its predicted class. */
export interface AdaptAttentionView {
  /** Per stage, a grayscale PNG of the map scaled by its maximum (white: where the stage looks most). */
  maps: string[];
  predicted: number;
  /** Translated row only: per stage, the L2 distance between this image's map and its source image's (the term DAAA minimises). */
  distance?: number[];
}

export interface AdaptAttentionImage {
  sampleId: number;
  /** Class index (-1 when unlabeled). */
  label: number;
  /** The image as the models see it (PNG, RGB at the models' input size). */
  image: string;
  adapted: AdaptAttentionView;
  sourceOnly: AdaptAttentionView;
}

export const adaptAttentionDomains = ['source', 'translated', 'target'] as const;
export type AdaptAttentionDomain = (typeof adaptAttentionDomains)[number];

/** An 'adapt.attention' job's result. Paths are relative to the workspace in the job row; `adapt.attentionMaps` answers them absolute. */
export interface AdaptAttentionResult {
  jobId: number;
  compareJobId: number;
  method: AdaptMethod;
  /** The stage outputs the maps are read at (DAAA's attention term uses the same), with their resolution. */
  stages: { name: string; height: number; width: number }[];
  classNames: string[];
  /** Rows in the order source, translated (when a translation is known), target; the translated row's item i is the translation of the source row's item i. */
  rows: { domain: AdaptAttentionDomain; datasetId: number; items: AdaptAttentionImage[] }[];
}

/** Params of an 'adapt.eval' job: a model on a source and a target split (target labels only measure), with a 2-D embedding of both. */
export const adaptEvalSchema = z
  .object({
    /** An adaptation run (a finished adapt.train job): its model, source and target. */
    jobId: z.number().int().positive().optional(),
    /** Or any workspace classifier (then sourceDatasetId and targetDatasetId are required). */
    modelId: z.number().int().positive().optional(),
    /** Default: the run's source. */
    sourceDatasetId: z.number().int().positive().optional(),
    /** Default: the run's target. */
    targetDatasetId: z.number().int().positive().optional(),
    sourceSplit: z.string().min(1).max(100).default('test'),
    targetSplit: z.string().min(1).max(100).default('test'),
    /** Measure at most this many images per domain (seeded choice); default every image of the split. */
    limit: z.number().int().positive().optional(),
    /** Images per domain whose penultimate features are projected to 2-D (seeded choice). */
    embedCount: z.number().int().min(2).max(2000).default(200),
    seed: z.number().int().min(0).default(1),
  })
  .strict()
  .refine((p) => (p.jobId === undefined) !== (p.modelId === undefined), { message: 'jobId: name either an adaptation run (jobId) or a workspace classifier (modelId), not both or neither', path: ['jobId'] });
export type AdaptEvalParams = z.output<typeof adaptEvalSchema>;

export interface AdaptEvalPoint {
  domain: 'source' | 'target';
  sampleId: number;
  label: number;
  predicted: number;
  x: number;
  y: number;
}

/** An 'adapt.eval' job's result. */
export interface AdaptEvalResult {
  /** The adaptation run evaluated, or null for a workspace classifier. */
  jobId: number | null;
  modelId: number | null;
  method: AdaptMethod | null;
  modelName: string;
  arch: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  sourceSplit: string;
  targetSplit: string;
  classNames: string[];
  /** 1 / number of classes. */
  chance: number;
  source: { count: number; accuracy: number };
  /** The target's labels, used only here to measure. Confusion rows: true class, columns: predicted. */
  target: { count: number; accuracy: number; perClass: { accuracy: number | null; support: number }[]; confusion: number[][] };
  /** PCA of the penultimate (pooled) features of both domains' drawn images together; `explained` is each axis's share of the variance. */
  embedding: { explained: [number, number]; points: AdaptEvalPoint[] };
}

export const adaptCalls = {
  'adapt.generate': call<JobSummary>()(adaptGenerateSchema, 'Queue an adapt.generate job: an MNIST-M style colour target domain from a grayscale dataset and colour patches.'),
  'adapt.train': call<JobSummary>()(adaptTrainSchema, 'Queue an adapt.train job (source-only, DANN or DAAA) from a labeled source to an unlabeled target domain.'),
  'adapt.attention': call<JobSummary>()(adaptAttentionSchema, "Queue an adapt.attention job: per-stage attention maps of an adaptation run's model and a source-only model on a few source, translated and target images."),
  'adapt.attentionMaps': call<(AdaptAttentionResult & { attentionJobId: number }) | null>()(
    z.object({ jobId: z.number().int().positive() }).strict(),
    "The newest finished attention maps of an adaptation run (an adapt.attention job's result, paths absolute), or null when none was computed.",
  ),
  'adapt.eval': call<JobSummary>()(adaptEvalSchema, "Queue an adapt.eval job: a run's (or classifier's) source and target accuracy, per-class accuracy and confusion on the target, and a 2-D PCA of both domains' features."),
  'adapt.evaluations': call<(AdaptEvalResult & { evalJobId: number })[]>()(z.object({}).strict(), 'Every finished adapt.eval result, newest first.'),
  'adapt.runs': call<AdaptRunSummary[]>()(z.object({}).strict(), 'Every adaptation run with its per-epoch source and target accuracy, for side-by-side comparison.'),
};
