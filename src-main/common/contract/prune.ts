/**
 * Pruning options shared by the `train` job's `prune` block and the
 * `prune.sensitivity` job: the filter importance criteria (implemented in
 * src-main/prune/importance.ts, one registry).
 */
import { z } from 'zod';
import { call } from './define.ts';

/**
 * How filters are ranked; the lowest-ranked floor(N*rate) of a conv are zeroed.
 * - `l2`: L2 norm of the filter (SFP's criterion, the default).
 * - `l1`: L1 norm of the filter.
 * - `fpgm`: geometric median (FPGM): sum of Euclidean distances to the layer's other filters; the filters closest to the geometric median go.
 * - `bn-scale`: |gamma| of the BatchNorm channel after the conv (network slimming).
 * - `taylor`: first-order Taylor, |sum over the parameters of the filter of G*W|, G the gradient summed over the batches since the last mask.
 */
export const pruneCriteria = ['l2', 'l1', 'fpgm', 'bn-scale', 'taylor'] as const;
export type PruneCriterion = (typeof pruneCriteria)[number];
export const pruneCriterionSchema = z.enum(pruneCriteria);

/** Rates scanned by default: 10%, 20%, ... 90%. */
export const defaultSensitivityRates = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * The `prune.sensitivity` job: for a trained workspace model, prune each conv
 * (or each stage: the convs sharing the first part of their name) ALONE at
 * each rate by the criterion, re-estimate BN statistics, and evaluate on the
 * test split. Data options not given come from the job that trained the model
 * (its augmentation pipeline supplies the evaluation normalisation).
 */
export const pruneSensitivityConfigSchema = z
  .object({
    modelId: z.number().int().positive(),
    dataset: z
      .object({
        id: z.number().int().positive(),
        /** Split whose images re-estimate BN statistics. */
        trainSplit: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('train'),
        /** Split evaluated. */
        testSplit: z.string().min(1).default('test'),
        /** Evaluate only the first N test images. */
        testLimit: z.number().int().positive().optional(),
      })
      .strict(),
    criterion: pruneCriterionSchema.default('l2'),
    granularity: z.enum(['conv', 'stage']).default('conv'),
    rates: z
      .array(z.number().gt(0, 'rates must be in (0, 1)').lt(1, 'rates must be in (0, 1)'))
      .min(1)
      .max(20)
      .default(defaultSensitivityRates),
    /** Training batches that re-estimate BN statistics before each evaluation (0 = evaluate with the stored statistics). */
    bnRecalibrationBatches: z.number().int().min(0).max(100).default(4),
    batchSize: z.number().int().min(1).max(4096).default(64),
    evalBatchSize: z.number().int().min(1).max(4096).default(256),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  })
  .strict();
export type PruneSensitivityConfigInput = z.input<typeof pruneSensitivityConfigSchema>;
export type PruneSensitivityConfig = z.output<typeof pruneSensitivityConfigSchema>;

/** What a finished `prune.sensitivity` job returns (its result JSON). */
export interface SensitivityResult {
  modelId: number;
  arch: string;
  criterion: PruneCriterion;
  granularity: 'conv' | 'stage';
  rates: number[];
  /** Test accuracy of the unpruned model (with BN re-estimated when the scan does so). */
  baseline: number;
  /** Test images evaluated. */
  count: number;
  /** One entry per conv (or stage): accuracy[i] at rates[i] with only this group pruned. */
  groups: { name: string; convs: string[]; accuracy: number[] }[];
}

/**
 * `prune.layerRates` from a scan: per group, the largest scanned rate whose
 * accuracy stays within `maxDrop` of the baseline (0 when none does), for every
 * conv of the group. Groups are judged alone, so the drops of a run pruning
 * them all at once add up roughly.
 */
export function layerRatesFromSensitivity(result: SensitivityResult, maxDrop: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of result.groups) {
    let rate = 0;
    result.rates.forEach((r, i) => {
      if (result.baseline - g.accuracy[i]! <= maxDrop && r > rate) rate = r;
    });
    for (const conv of g.convs) out[conv] = rate;
  }
  return out;
}

export const pruneCalls = {
  'prune.layerRates': call<{ jobId: number; maxDrop: number; layerRates: Record<string, number> }>()(
    z.object({ jobId: z.number().int().positive(), maxDrop: z.number().min(0).lt(1).default(0.01) }).strict(),
    'prune.layerRates for a new run from a finished sensitivity scan: per conv, the largest scanned rate within maxDrop of the unpruned accuracy.',
  ),
};
