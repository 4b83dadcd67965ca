/**
 * Pruning options shared by the `train` job's `prune` block and the
 * `prune.sensitivity` job: the filter importance criteria (implemented in
 * src-main/prune/importance.ts, one registry).
 */
import { z } from 'zod';

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
