import { z } from 'zod';
import { call } from './define.ts';
import { modelNames, modelOptionsSchema } from './models.ts';
import { pruneCriterionSchema } from './prune.ts';
import type { JobStatus, MetricPoint } from './jobs.ts';

const convRoleEnum = z.enum(['stem', 'block-conv', 'block-last', 'downsample', 'other']);

/**
 * The `train` job's config (documented in src-main/train/README.md). One
 * config covers baseline training, fine-tuning (parentModelId) and SFP/PSFP
 * pruning (prune), from scratch or from a trained model.
 */
export const trainConfigSchema = z
  .object({
    /** Name of the resulting model (default: "<arch> <method> <dataset>"). */
    name: z.string().min(1).max(200).optional(),
    dataset: z
      .object({
        id: z.number().int().positive(),
        /** A named split of the dataset (datasets.splits.create) whose parts trainSplit/testSplit name; default the split its import found. */
        split: z.string().min(1).max(64).optional(),
        /** Split(s) trained on; a validation part is held out of it. */
        trainSplit: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('train'),
        /** Split reported as test accuracy at the end; null for none. */
        testSplit: z.string().min(1).nullable().default('test'),
        /**
         * A split part read as the validation set (e.g. "val" of a named split); nothing of the
         * training part is then held out. Absent: the named split's "val" part when it has one,
         * else a held-out fraction. null: always the held-out fraction.
         */
        valSplit: z.string().min(1).nullable().optional(),
        /** Fraction of the training split held out for validation each epoch (seeded, fixed for the run) when no validation part is read. */
        validationFraction: z.number().min(0).max(0.5).default(0.1),
        /** Use only this many training samples (seeded choice): quick runs and benchmarks. */
        limit: z.number().int().positive().optional(),
        /** Use only this many test samples: a seeded draw over the whole test part, the same for every run seed. */
        testLimit: z.number().int().positive().optional(),
        /** [height, width] images are resized to; default the dataset's size. */
        inputSize: z.tuple([z.number().int().min(1).max(4096), z.number().int().min(1).max(4096)]).optional(),
        /** 1 or 3; default the dataset's own. */
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
      })
      .strict(),
    /** Architecture to build (from scratch). Exactly one of model / parentModelId. */
    model: z.object({ arch: z.enum(modelNames), options: modelOptionsSchema.default({}) }).strict().optional(),
    /** Start from this workspace model (fine-tuning, or SFP/PSFP from a trained model). */
    parentModelId: z.number().int().positive().optional(),
    epochs: z.number().int().min(1).max(10000),
    batchSize: z.number().int().min(1).max(4096).default(128),
    evalBatchSize: z.number().int().min(1).max(4096).default(256),
    optimizer: z
      .object({
        lr: z.number().positive().max(10).default(0.1),
        momentum: z.number().min(0).max(0.999).default(0.9),
        nesterov: z.boolean().default(true),
        /** L2 on every trainable weight, PyTorch SGD style (added to the gradient). */
        weightDecay: z.number().min(0).max(0.1).default(5e-4),
      })
      .strict()
      .default({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }),
    schedule: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('constant') }).strict(),
        /** lr x gamma at each milestone epoch (SFP CIFAR recipe: [60,120,160], 0.2). */
        z.object({ kind: z.literal('step'), milestones: z.array(z.number().int().min(1)).min(1), gamma: z.number().positive().max(1).default(0.1) }).strict(),
        /** Cosine from lr to minLr over the steps after warm-up. */
        z.object({ kind: z.literal('cosine'), minLr: z.number().min(0).default(0) }).strict(),
      ])
      .default({ kind: 'constant' }),
    /** Warm-up: `lr` constant for `epochs` epochs (SFP reference: 0.01 for epoch 0), or a linear per-step ramp from 0 when lr is absent. */
    warmup: z.object({ epochs: z.number().int().min(0), lr: z.number().positive().optional() }).strict().optional(),
    /** Augmentation: a pipeline saved from the preview page (id) or an inline spec. Normalisation is one of its steps. */
    augment: z
      .object({ pipelineId: z.number().int().positive().optional(), spec: z.unknown().optional() })
      .strict()
      .refine((a) => (a.pipelineId === undefined) !== (a.spec === undefined), 'give exactly one of pipelineId or spec')
      .optional(),
    prune: z
      .object({
        method: z.enum(['sfp', 'psfp']),
        /** Target rate: fraction of filters zeroed per selected conv. */
        rate: z.number().min(0, 'prune.rate must be in [0, 1)').lt(1, 'prune.rate must be in [0, 1)'),
        /** Re-mask every `interval` epochs (always after the last). */
        interval: z.number().int().min(1).default(1),
        /** PSFP: the curve reaches 3/4 of the rate at D x epochs. */
        d: z.number().gt(0).lt(0.75).default(1 / 8),
        /** Roles pruned (default: every conv of CIFAR ResNets, all but downsample of ImageNet ResNets). */
        roles: z.array(convRoleEnum).min(1).optional(),
        /** Expert per-layer rates by conv node name. */
        layerRates: z.record(z.string(), z.number().min(0).lt(1)).optional(),
        /** Training batches used to re-estimate BN statistics for the second reported accuracy (0 = skip), and by reestimateBn. */
        bnRecalibrationBatches: z.number().int().min(0).max(100).default(4),
        /** Filter importance criterion (src-main/prune/importance.ts); l2 is SFP's. */
        criterion: pruneCriterionSchema.default('l2'),
        /** Also zero the pruned channels' BatchNorm gamma and beta at each mask (off: the papers' mask touches the kernel only). */
        zeroBn: z.boolean().default(false),
        /** Mask the gradient and momentum of pruned filters (and, with zeroBn, of their BN gamma/beta) until the next mask, so they stay zero (off: SFP lets them regrow). */
        noRegrowth: z.boolean().default(false),
        /** After each mask, re-estimate the BN running statistics on bnRecalibrationBatches training batches and keep them (off in the papers). */
        reestimateBn: z.boolean().default(false),
      })
      .strict()
      .optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.model === undefined) === (c.parentModelId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'give exactly one of model (train from scratch) or parentModelId (start from a workspace model)' });
    }
    if (c.prune?.reestimateBn && c.prune.bnRecalibrationBatches === 0) {
      ctx.addIssue({ code: 'custom', path: ['prune', 'reestimateBn'], message: 'prune.reestimateBn needs prune.bnRecalibrationBatches > 0' });
    }
    if (c.schedule.kind === 'step' && c.schedule.milestones.some((m, i, a) => i > 0 && m <= a[i - 1]!)) {
      ctx.addIssue({ code: 'custom', path: ['schedule', 'milestones'], message: 'milestones must increase' });
    }
  });
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** What a finished `train` job returns (also the job's result JSON). */
export interface TrainResult {
  epochs: number;
  /** Final metrics: accuracy (test, else validation) after the last mask, and the rest. */
  metrics: TrainMetrics;
  /** The saved model (workspace-relative folder); the writer records it as a models row. */
  model: { dir: string; name: string; arch: string; method: string; rate: number | null; parentModelId: number | null; datasetId: number };
  /** Pruning rate applied at each masking (PSFP grows it). */
  pruneRates: { epoch: number; rate: number }[];
  /** Samples left out because their image cannot be decoded (the first 100 named); each is also a warning in the job log. */
  skippedSamples?: { count: number; files: string[] };
}

export interface TrainMetrics {
  /** Headline accuracy (test split when there is one, else validation), after masking when pruned. */
  accuracy: number;
  valAccuracy: number | null;
  valLoss: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  /** Pruned runs: the same after re-estimating BN statistics on a few training batches. */
  accuracyBnRecalibrated: number | null;
  trainLoss: number;
  trainAccuracy: number;
  imagesPerSecond: number;
  seconds: number;
  params: number;
  macs: number;
  /** Pruned runs: paper-style (3x3 conv) FLOPs reduction of the target rate. */
  flopsReductionPaper: number | null;
}

export interface TrainingRunDetail {
  jobId: number;
  kind: string;
  status: string;
  config: TrainConfig;
  /** The model this run started from, and the one it produced. */
  lineage: { parentModel: { id: number; name: string; method: string | null } | null; model: { id: number; name: string } | null; resumedFromJobId: number | null };
  result: TrainResult | null;
  checkpoints: { epoch: number; path: string; createdAt: string }[];
  /** Per-epoch pruning rate actually applied (PSFP grows it). */
  pruneRates: { epoch: number; rate: number }[];
}

export interface FilterHistory {
  jobId: number;
  /** Epochs at which masks were computed (0 = before training). */
  epochs: number[];
  layers: {
    name: string;
    role: string;
    filters: number;
    /** [epoch][filter] L2 norm before masking. */
    norms: number[][];
    /** [epoch][filter] true when zeroed. */
    masks: boolean[][];
    /**
     * [epoch][filter] true when the filter was zeroed at the previous masking and, before this one,
     * its norm is at least half the median norm of the filters that masking kept (src-main/prune/regrowth.ts).
     */
    regrown: boolean[][];
  }[];
}

/**
 * One training run in the experiment log: a `train` job and the jobs that
 * resumed it, shown as one thing.
 */
export interface TrainingRunRow {
  /** The run's newest job: its page, its status. */
  jobId: number;
  /** Its jobs across resumes, oldest first (the first holds tags and notes). */
  jobIds: number[];
  /** The name given in the config, else the job's title. */
  name: string;
  /** True when `name` is one the user gave (config.name). */
  named: boolean;
  /** The sweep the run is a member of; a member's name ends with the values that set it apart, e.g. "lr test (prune.rate=0.3)". */
  sweepId: string | null;
  status: JobStatus;
  datasetId: number;
  /** The dataset's name (or "#id" when it is gone). */
  dataset: string;
  /** The architecture trained from scratch, or the workspace model it started from. */
  model: string;
  /** baseline | finetune | sfp | psfp. */
  method: string;
  pruneRate: number | null;
  epochs: number;
  /** Epochs completed so far across its jobs. */
  epochsDone: number;
  /** Highest validation accuracy of any epoch (null before the first). */
  bestAccuracy: number | null;
  /** The result's headline accuracy (test, else validation) once it succeeded, else the last validation accuracy. */
  finalAccuracy: number | null;
  /** Wall time its jobs ran, summed (a running one up to now). */
  seconds: number | null;
  createdAt: string;
  tags: string[];
  notes: string;
}

/** A metric point with the job (of a run's jobs) that recorded it. */
export interface CurvePoint extends MetricPoint {
  jobId: number;
}

/** One run's curves across its resumes, as one logical run. */
export interface RunCurves {
  /** The job asked for. */
  jobId: number;
  name: string;
  /** Its jobs, oldest first. */
  jobIds: number[];
  /** Every point of its jobs; a job's points past the epoch the next job resumed from are left out. */
  points: CurvePoint[];
  /** Where each resumed job took over: the epoch of the checkpoint it continued from. */
  resumes: { jobId: number; epoch: number }[];
}

/** One class of a run's final evaluation. */
export interface ClassMetrics {
  index: number;
  name: string;
  /** Samples of this class evaluated (the confusion row's sum). */
  support: number;
  /** Samples predicted as this class (the column's sum). */
  predicted: number;
  /** The diagonal cell. */
  correct: number;
  /** correct / support (the per-class accuracy); null when the class has no samples. */
  recall: number | null;
  /** correct / predicted; null when nothing was predicted as this class. */
  precision: number | null;
}

export interface MisclassifiedSample {
  sampleId: number;
  /** The sample's path inside its dataset; null when the sample is gone (dataset removed). */
  path: string | null;
  trueLabel: number;
  predictedLabel: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
}

/** A run's per-sample results on its test split (or validation set when it has none), from its last job. */
export interface RunPredictions {
  /** The job asked for. */
  jobId: number;
  /** The job whose predictions these are: the run's last job (a resumed run's newest). */
  fromJobId: number;
  datasetId: number;
  evaluatedOn: 'test' | 'validation';
  /** The dataset part evaluated ("test", "val", or the held-out fraction of the training part). */
  part: string;
  classNames: string[];
  /** Samples evaluated; the confusion matrix sums to it. */
  count: number;
  /** Diagonal / count: the run's reported accuracy on that split. */
  accuracy: number;
  /** counts[true][predicted]. */
  confusion: number[][];
  classes: ClassMetrics[];
  /** Misclassified samples (of the asked true/predicted class when given), most confident first: one page. */
  misclassified: { total: number; offset: number; items: MisclassifiedSample[] };
}

const jobIdRequest = z.object({ jobId: z.number().int().positive() }).strict();

export const trainCalls = {
  'train.get': call<TrainingRunDetail>()(jobIdRequest, 'A training or pruning run: config, lineage, checkpoints, result (metrics come from jobs.metrics).'),
  'train.runs': call<TrainingRunRow[]>()(
    z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
    'Training runs as an experiment log, newest first: one row per run across its resumes, with dataset, model, method, accuracies, duration, tags and notes.',
  ),
  'train.curves': call<RunCurves[]>()(
    z
      .object({
        /** Jobs of the runs to show (any job of a run stands for all of it). */
        jobIds: z.array(z.number().int().positive()).min(1).max(20),
        names: z.array(z.string()).optional(),
      })
      .strict(),
    "Runs' metric curves, each across its resumes as one run, with the points where it was resumed.",
  ),
  'train.validateConfig': call<{ ok: true; config: TrainConfig }>()(
    z.object({ config: z.unknown() }).strict(),
    'Validates a train config against the schema and the workspace (dataset, architecture, input size) without starting it.',
  ),
  'train.filterHistory': call<FilterHistory>()(
    z.object({ jobId: z.number().int().positive(), layers: z.array(z.string()).optional() }).strict(),
    'Per layer, per masking epoch: filter norms and which filters were zeroed (for the heatmap).',
  ),
  'train.predictions': call<RunPredictions>()(
    z
      .object({
        jobId: z.number().int().positive(),
        /** Page of the misclassified samples. */
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(60),
        /** Only misclassified samples of this true class (index) ... */
        trueLabel: z.number().int().min(0).optional(),
        /** ... and/or predicted as this class (a cell of the confusion matrix). */
        predictedLabel: z.number().int().min(0).optional(),
      })
      .strict(),
    "A finished run's test results (validation when it has no test split), from its last job: confusion matrix, per-class recall and precision, and the misclassified samples, most confident first, a page at a time.",
  ),
};
