import { z } from 'zod';
import { call } from './define.ts';

/**
 * SPGAN: translate a labeled source re-ID dataset into the style of an
 * unlabeled target domain (similarity-preserving CycleGAN). Jobs: 'spgan.train'
 * and 'spgan.translate' (see src-main/spgan/jobs.ts); these calls serve the
 * translation viewer. Image paths are ABSOLUTE file paths (served by the host's
 * one file URL scheme).
 */

/** Training configuration of an SPGAN run (the params of a 'spgan.train' job). */
export const spganConfigSchema = z
  .object({
    /** Labeled source domain (person ids are kept; its 'train' split is used). */
    sourceDatasetId: z.number().int().positive(),
    /** Unlabeled target domain (only its images are used; 'train' split when it has one, else every sample). */
    targetDatasetId: z.number().int().positive(),
    /** [H, W]; 256x128 is the PyTorch reference, 64x32 or 32x16 fit a CPU. Both multiples of 4. */
    imageSize: z.tuple([z.number().int().min(16), z.number().int().min(8)]).default([256, 128]),
    /** Residual blocks of each generator (9 in the paper, 1-3 for CPU smoke runs). */
    residualBlocks: z.number().int().min(1).max(12).default(9),
    /** Channels of the generator's first conv (64 in the paper; 8-16 on CPU). */
    generatorWidth: z.number().int().min(2).max(128).default(64),
    /** Channels of the PatchGAN's first conv (64 in the paper). */
    discriminatorWidth: z.number().int().min(2).max(128).default(64),
    /** Stride-2 stages of the PatchGAN (3 = the paper's 70x70 patches; 2 for 32x16 images). */
    discriminatorLayers: z.number().int().min(1).max(5).default(3),
    /** Channels of the Siamese net's first conv (64 in the paper). */
    siameseWidth: z.number().int().min(2).max(128).default(64),
    epochs: z.number().int().min(1).max(500).default(20),
    batchSize: z.number().int().min(1).max(64).default(8),
    /** Cap on source images per epoch (0 = all): small smoke runs on big datasets. */
    imagesPerEpoch: z.number().int().min(0).default(0),
    learningRate: z.number().positive().default(2e-4),
    beta1: z.number().min(0).max(1).default(0.5),
    /** Weights of the loss terms. contrastive 0 = CycleGAN(+identity); identity 0 as well = plain CycleGAN. */
    lambdaCycle: z.number().min(0).default(10),
    lambdaIdentity: z.number().min(0).default(5),
    lambdaContrastive: z.number().min(0).default(2),
    /** Contrastive margin m on unit-norm 64-d embeddings (distance range 0..2). */
    margin: z.number().positive().default(2),
    /**
     * The contrastive term joins the generator loss from this epoch on (1-based).
     * The PyTorch port switches it on after the first epoch, i.e. 2.
     */
    contrastiveFromEpoch: z.number().int().min(1).default(2),
    /** History pool of generated images shown to the discriminators (50 in the paper). */
    poolSize: z.number().int().min(0).default(50),
    /** Source (and target) images translated after every epoch for the viewer. */
    sampleCount: z.number().int().min(0).max(64).default(8),
    /** Horizontal flip augmentation (the PyTorch port flips; it also resizes to 1.12x and crops back). */
    flip: z.boolean().default(true),
    seed: z.number().int().default(1),
  })
  .strict();
export type SpganConfig = z.output<typeof spganConfigSchema>;
export type SpganConfigInput = z.input<typeof spganConfigSchema>;

/** Params of a 'spgan.translate' job. */
export const spganTranslateSchema = z
  .object({
    /** The 'spgan.train' job whose generator is used. */
    runJobId: z.number().int().positive(),
    /** Dataset to translate (source -> target direction: generator G). */
    datasetId: z.number().int().positive(),
    /** Checkpoint epoch; default the last one. */
    epoch: z.number().int().positive().optional(),
    /** Translate only these splits (default all). */
    splits: z.array(z.enum(['train', 'query', 'gallery', 'val', 'test'])).optional(),
    /** Name of the new dataset (default "<source> -> SPGAN #<job>"). */
    name: z.string().min(1).max(200).optional(),
    batchSize: z.number().int().min(1).max(256).default(16),
  })
  .strict();
export type SpganTranslateParams = z.output<typeof spganTranslateSchema>;

export interface SpganRunSummary {
  jobId: number;
  title: string;
  status: string;
  createdAt: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  config: SpganConfig;
  /** Epochs with a saved checkpoint (translatable). */
  checkpointEpochs: number[];
  /** Epochs with sample translations for the viewer. */
  sampleEpochs: number[];
  /** Final per-term losses of the last finished epoch, when known. */
  lastLosses: Record<string, number> | null;
}

export interface SpganSampleItem {
  /** Which generator: 'AtoB' = source -> target (G), 'BtoA' = target -> source (F). */
  direction: 'AtoB' | 'BtoA';
  sampleId: number;
  personId: number | null;
  camera: number | null;
  /** The real image (absolute path in its dataset root). */
  realPath: string;
  /** The translation at that epoch (absolute PNG path in the job folder). */
  translatedPath: string;
}

export interface SpganEpochSamples {
  jobId: number;
  epoch: number;
  /** Grouped by person id (source persons; target images are grouped by their own id when known). */
  groups: { personId: number | null; items: SpganSampleItem[] }[];
}

export interface SpganTargetExample {
  sampleId: number;
  path: string;
  personId: number | null;
  camera: number | null;
}

export interface TranslatedPair {
  sourceSampleId: number;
  translatedSampleId: number;
  personId: number | null;
  camera: number | null;
  split: string | null;
  sourcePath: string;
  translatedPath: string;
}

export interface TranslatedDatasetLineage {
  kind: 'spgan-translation';
  runJobId: number;
  translateJobId: number;
  epoch: number;
  sourceDatasetId: number;
  targetDatasetId: number;
  imageSize: [number, number];
  config: SpganConfig;
}

export interface TranslatedDatasetSummary {
  datasetId: number;
  name: string;
  sourceDatasetId: number | null;
  samples: number;
  createdAt: string;
  lineage: TranslatedDatasetLineage;
}

export const spganCalls = {
  'spgan.runs': call<SpganRunSummary[]>()(
    z.object({ status: z.string().optional() }).strict(),
    'SPGAN training runs, newest first, with the epochs that have checkpoints and sample translations.',
  ),
  'spgan.samples': call<SpganEpochSamples>()(
    z
      .object({
        jobId: z.number().int().positive(),
        epoch: z.number().int().positive(),
        direction: z.enum(['AtoB', 'BtoA', 'both']).default('both'),
      })
      .strict(),
    'Sample translations (real and translated image paths) of one epoch of a run, grouped by person id.',
  ),
  'spgan.targetExamples': call<SpganTargetExample[]>()(
    z.object({ jobId: z.number().int().positive(), count: z.number().int().min(1).max(100).default(8) }).strict(),
    'A few real images of the run\'s target domain, to compare translations against.',
  ),
  'spgan.translatedDatasets': call<TranslatedDatasetSummary[]>()(
    z.object({ runJobId: z.number().int().positive().optional() }).strict(),
    'Datasets created by translating with an SPGAN run, with their lineage.',
  ),
  'spgan.translatedPairs': call<{ total: number; items: TranslatedPair[] }>()(
    z
      .object({
        datasetId: z.number().int().positive(),
        personId: z.number().int().optional(),
        camera: z.number().int().optional(),
        split: z.string().optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    'Source sample -> translated sample pairs of a translated dataset, filterable by person id, camera and split.',
  ),
};
