import { z } from 'zod';
import { call } from './define.ts';
import { jobPlacement, type JobStatus } from './jobs.ts';

/**
 * Reproductions: each claim of the seed papers as a set of ordinary `train`
 * jobs at two scales, and a report that puts the paper's numbers beside the
 * workbench's. The catalogue itself lives in src-main/reproduce.
 */
export const reproduceScales = ['quick', 'paper'] as const;
export type ReproduceScale = (typeof reproduceScales)[number];

/**
 * How a claim is judged:
 * - `value`: our number within `tolerance` of the paper's;
 * - `direction`: our number has the sign the paper states (an improvement is > 0);
 * - `finding`: no paper number (the workbench's own question); measured, not judged.
 */
export type ClaimKind = 'value' | 'direction' | 'finding';

export interface ReproductionClaim {
  key: string;
  /** What is compared, e.g. "ResNet-20 at 30%: accuracy drop vs baseline". */
  label: string;
  kind: ClaimKind;
  /** The paper's number (percent or percentage points); null for `finding`, and for a `direction` the paper gives no number for. */
  paper: number | null;
  tolerance: number;
  /** Scale-free claims (FLOPs cut, directions) are judged at the quick scale too; accuracies only at the paper's. */
  judgedAtQuick: boolean;
  /** Where the paper's number comes from. */
  source: string;
}

export interface ReproductionScaleInfo {
  /** The protocol in words (data, schedule, augmentation). */
  description: string;
  /** Runs per seed, in the order they queue. */
  runs: { key: string; label: string }[];
  defaultSeeds: number[];
  /** Training images x epochs over all runs of one seed: what the scale costs. */
  imageEpochs: number;
}

export interface ReproductionEntry {
  id: string;
  title: string;
  /** The paper and the claim in one sentence. */
  claim: string;
  paper: string;
  /** The dataset it expects (a lab picks a workspace dataset of that kind). */
  /** What it expects; `classes` is checked at start (null: any). */
  dataset: { description: string; classes: number | null };
  scales: Record<ReproduceScale, ReproductionScaleInfo>;
  claims: ReproductionClaim[];
}

export interface ReproductionSummary {
  id: number;
  entry: string;
  title: string;
  scale: ReproduceScale;
  dataset: { id: number; name: string } | null;
  seeds: number[];
  sweepId: string;
  createdAt: string;
  /** Jobs per status. */
  jobs: Partial<Record<JobStatus, number>>;
}

export type ClaimStatus = 'reproduced' | 'differs' | 'measured' | 'not-comparable' | 'not-run' | 'pending' | 'failed';

export interface SeedStats {
  n: number;
  mean: number;
  min: number;
  max: number;
}

export interface ReproductionReportRow {
  claim: ReproductionClaim;
  status: ClaimStatus;
  /** Ours over the seeds (null until every run it needs has succeeded). */
  ours: SeedStats | null;
  /** ours.mean - paper, when both exist. */
  difference: number | null;
  /** Why the status is what it is, in a sentence. */
  note: string;
}

export interface ReproductionRunRow {
  key: string;
  label: string;
  seed: number;
  jobId: number;
  status: JobStatus;
  /** Final test accuracy (after the last mask for pruned runs), percent. */
  accuracy: number | null;
  /** Accuracy after re-estimating BN statistics (pruned runs), percent. */
  accuracyBnRecalibrated: number | null;
  /** Paper-style FLOPs reduction of the saved model, percent (pruned runs). */
  flopsCut: number | null;
  modelId: number | null;
}

export interface ReproductionReport {
  reproduction: ReproductionSummary;
  entry: ReproductionEntry;
  rows: ReproductionReportRow[];
  runs: ReproductionRunRow[];
  /** The report as a Markdown table (CLI `--markdown`, BENCHMARKS.md). */
  markdown: string;
}

export const reproduceStartSchema = z
  .object({
    entry: z.string().min(1),
    scale: z.enum(reproduceScales).default('quick'),
    datasetId: z.number().int().positive(),
    /** A named split of the dataset (datasets.splits.create) to train and test on; default the split its import found. */
    split: z.string().min(1).max(64).optional(),
    /** Default: the scale's seeds. */
    seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).max(10).optional(),
    /** Only these runs of the scale (keys); a claim whose runs are left out reads "not run". */
    runs: z.array(z.string().min(1)).min(1).optional(),
    ...jobPlacement,
  })
  .strict();
export type ReproduceStartRequest = z.input<typeof reproduceStartSchema>;

const idRequest = z.object({ id: z.number().int().positive() }).strict();

export const reproduceCalls = {
  'reproduce.catalogue': call<ReproductionEntry[]>()(z.object({}).strict(), 'The reproduction catalogue: each seed claim with its quick and paper scales and the paper numbers.'),
  'reproduce.start': call<ReproductionSummary>()(
    reproduceStartSchema,
    'Queue every run of a catalogue entry at a scale (one sweep: one Slurm array when run on Slurm); all are validated before any is queued.',
  ),
  'reproduce.list': call<ReproductionSummary[]>()(z.object({}).strict(), 'Started reproductions, newest first, with their jobs per status.'),
  'reproduce.report': call<ReproductionReport>()(idRequest, "A reproduction's report: the paper's numbers beside ours, each claim's status, and every run."),
};
