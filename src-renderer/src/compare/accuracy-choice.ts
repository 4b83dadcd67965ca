/**
 * The two accuracies a soft-pruned (SFP/PSFP) run records, under the names the
 * training result uses (`TrainMetrics.accuracy`, `accuracyBnRecalibrated`), and
 * which of them the Compare page plots.
 */
import type { ComparedModel } from '../../../src-main/common/contract/index.ts';

export type AccuracyChoice = 'accuracy' | 'accuracyBnRecalibrated';

export const accuracyChoices: Record<AccuracyChoice, { label: string; short: string }> = {
  accuracy: { label: 'after the last mask (as saved; its compact model gives the same)', short: 'after the last mask' },
  accuracyBnRecalibrated: { label: 'BatchNorm re-estimated after the last mask', short: 'BN re-estimated' },
};

/** A model with no soft mask and no compact parent: its one accuracy is the answer to both questions. */
const unpruned = (m: ComparedModel) => m.zeroFilters === 0 && m.method !== 'compact' && m.compactSpeedup === null;

/**
 * The accuracy a model shows under a choice, or null where it has none: a compact model inherits
 * only the accuracy after the last mask (the outputs it reproduces), an unpruned model answers
 * with its one accuracy.
 */
export function chosenAccuracy(m: ComparedModel, choice: AccuracyChoice): number | null {
  if (choice === 'accuracy') return m.accuracy;
  return m.accuracyBnRecalibrated ?? (unpruned(m) ? m.accuracy : null);
}
