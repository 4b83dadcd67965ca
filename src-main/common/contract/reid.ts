import { z } from 'zod';
import { call } from './define.ts';

/**
 * Person re-identification: IDE models (identity classifiers whose pooled
 * features are the descriptor) and the Market-1501 evaluation protocol.
 * Jobs: 'reid.train' and 'reid.eval' (src-main/reid/jobs.ts); these calls serve
 * the ranked-list explorer.
 */

export const ideArchs = ['resnet18', 'resnet34', 'resnet50'] as const;
export type IdeArch = (typeof ideArchs)[number];

/** Params of a 'reid.train' job: an IDE classifier over the training identities. */
export const reidTrainSchema = z
  .object({
    /** Source or SPGAN-translated dataset; its 'train' split (or every sample when it has no split). */
    datasetId: z.number().int().positive(),
    /** A named split of the dataset (datasets.splits.create, method reid): its 'train' part is trained on; default the split its import found. */
    split: z.string().min(1).max(64).optional(),
    /** ImageNet-style ResNet (ResNet-50 in the paper; resnet18 at small input size for CPU). */
    arch: z.enum(ideArchs).default('resnet50'),
    /** [H, W]; 256x128 reference, 64x32 for CPU smoke runs. */
    imageSize: z.tuple([z.number().int().min(16), z.number().int().min(8)]).default([256, 128]),
    /** Base width of the ResNet (64 = ImageNet ResNet); smaller for CPU. */
    width: z.number().int().min(4).max(64).default(64),
    /**
     * BatchNorm frozen: running statistics fixed (inference-mode BN while
     * training; the scale and shift still learn), as the authors insist for IDE
     * fine-tuning. Without ImageNet weights (none offline) the frozen statistics
     * are the initial 0/1; see src-main/reid/README.md.
     */
    freezeBatchNorm: z.boolean().default(true),
    /** Local max pooling: features = concatenated max-pooled horizontal parts (0 = global average pooling). */
    lmpParts: z.number().int().min(0).max(8).default(0),
    /**
     * Start from the weights of a model in the workspace (e.g. an imported
     * ImageNet ResNet of the same arch and width): every weight but the
     * classifier is copied, as IDE fine-tuning does. Without it: random init.
     */
    initFromModelId: z.number().int().positive().optional(),
    epochs: z.number().int().min(1).max(500).default(50),
    batchSize: z.number().int().min(1).max(256).default(16),
    learningRate: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    flip: z.boolean().default(true),
    seed: z.number().int().default(1),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ReidTrainParams = z.output<typeof reidTrainSchema>;

/** Params of a 'reid.eval' job. */
export const reidEvalSchema = z
  .object({
    modelId: z.number().int().positive(),
    /** Dataset whose 'query' split is the query set. */
    queryDatasetId: z.number().int().positive(),
    /** Dataset whose 'gallery' split is the gallery (usually the same dataset). */
    galleryDatasetId: z.number().int().positive(),
    /** A named split (datasets.splits.create, method reid) whose 'query' and 'gallery' parts are used, in both datasets; default the split their import found. */
    split: z.string().min(1).max(64).optional(),
    batchSize: z.number().int().min(1).max(512).default(32),
    /** Ranked-list length stored per query for the explorer. */
    storeTopK: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type ReidEvalParams = z.output<typeof reidEvalSchema>;

/** CMC and mAP under the Market-1501 protocol. */
export interface ReidMetrics {
  /** Fractions 0..1. CMC counts a query without any good gallery match as a miss at every rank. */
  rank1: number;
  rank5: number;
  rank10: number;
  rank20: number;
  mAP: number;
  /** CMC curve up to rank 50 (or the gallery size), fractions. */
  cmc: number[];
  queries: number;
  /** Queries with no good match (AP 0, missed at every rank). */
  queriesWithoutGood: number;
  gallery: number;
}

export interface ReidEvalSummary {
  evalJobId: number;
  modelId: number;
  modelName: string;
  queryDatasetId: number;
  galleryDatasetId: number;
  metrics: ReidMetrics;
  createdAt: string;
}

export interface ReidModelSummary {
  modelId: number;
  name: string;
  arch: string;
  datasetId: number | null;
  jobId: number | null;
  lmpParts: number;
  featureDim: number;
  numClasses: number;
  imageSize: [number, number];
  createdAt: string;
  evals: ReidEvalSummary[];
}

export type MatchVerdict = 'good' | 'junk' | 'wrong';

export interface RankedMatch {
  /** 1-based position in the full ranking (junk included, as shown). */
  position: number;
  sampleId: number;
  personId: number | null;
  camera: number | null;
  path: string;
  distance: number;
  verdict: MatchVerdict;
}

export interface RankedList {
  evalJobId: number;
  modelId: number;
  modelName: string;
  /** 1-based rank of the first good match after junk removal, or null. */
  firstGoodRank: number | null;
  ap: number;
  matches: RankedMatch[];
}

export interface ReidQueryInfo {
  sampleId: number;
  personId: number | null;
  camera: number | null;
  path: string;
  /** Per eval job (same order as requested): AP and first good rank. */
  results: { evalJobId: number; ap: number; firstGoodRank: number | null }[];
}

export const reidCalls = {
  'reid.models': call<ReidModelSummary[]>()(z.object({}).strict(), 'IDE re-ID models with their evaluations, newest first.'),
  'reid.evals': call<ReidEvalSummary[]>()(
    z.object({ modelId: z.number().int().positive().optional() }).strict(),
    'Finished re-ID evaluations (CMC, mAP), newest first.',
  ),
  'reid.queries': call<{ total: number; items: ReidQueryInfo[] }>()(
    z
      .object({
        /** One or two eval jobs over the same query set (side by side). */
        evalJobIds: z.array(z.number().int().positive()).min(1).max(2),
        personId: z.number().int().optional(),
        /** Only queries the first eval gets wrong at rank 1 (or misses entirely). */
        failuresOnly: z.boolean().default(false),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    'Query samples of one or two evaluations with per-query AP and first good rank, for picking a query to explore.',
  ),
  'reid.ranking': call<{ query: ReidQueryInfo; lists: RankedList[] }>()(
    z
      .object({
        evalJobIds: z.array(z.number().int().positive()).min(1).max(2),
        querySampleId: z.number().int().positive(),
        k: z.number().int().min(1).max(1000).default(10),
      })
      .strict(),
    'Top-k gallery matches of one query (sample id, person id, camera, distance, good/junk/wrong) for one or two models side by side, read from the stored eval results.',
  ),
};
