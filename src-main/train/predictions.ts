/**
 * Per-sample predictions of a run's final evaluation: the file the runner
 * writes (`predictions.json` in the job folder, a `predictions` artifact) and
 * what `train.predictions` makes of it (confusion matrix, per-class recall and
 * precision, misclassified samples by confidence). No TF.js here.
 */
import type { ClassMetrics, MisclassifiedSample } from '../common/contract/train.ts';

/** The file, column-wise so that it stays compact (a 10,000-sample test split is about 300 KB). */
export interface PredictionsFile {
  version: 1;
  /** The split evaluated: the test split, or the validation set when the run has no test split. */
  evaluatedOn: 'test' | 'validation';
  /** The dataset part it was read from (e.g. "test", "val", or the held-out fraction of the training part). */
  part: string;
  datasetId: number;
  classNames: string[];
  /** One entry per evaluated sample, in evaluation order (undecodable samples are left out, as from the accuracy). */
  sampleIds: number[];
  labels: number[];
  predicted: number[];
  /** Softmax probability of the predicted class, rounded to 6 decimals. */
  confidence: number[];
}

export const PREDICTIONS_FILE = 'predictions.json';

export function predictionsFile(o: Omit<PredictionsFile, 'version' | 'confidence'> & { confidence: ArrayLike<number> }): PredictionsFile {
  return { version: 1, ...o, confidence: Array.from(o.confidence, (c) => Math.round(c * 1e6) / 1e6) };
}

/** counts[true][predicted] over `k` classes. */
export function confusionMatrix(labels: readonly number[], predicted: readonly number[], k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  labels.forEach((t, i) => {
    const p = predicted[i]!;
    if (t >= 0 && t < k && p >= 0 && p < k) m[t]![p]!++;
  });
  return m;
}

/** Per class: support (row sum), predicted (column sum), correct (diagonal), recall and precision (null when undefined: 0/0). */
export function classMetrics(confusion: readonly (readonly number[])[], classNames: readonly string[]): ClassMetrics[] {
  return confusion.map((row, c) => {
    const support = row.reduce((a, v) => a + v, 0);
    const predicted = confusion.reduce((a, r) => a + r[c]!, 0);
    const correct = row[c]!;
    return { index: c, name: classNames[c] ?? String(c), support, predicted, correct, recall: support ? correct / support : null, precision: predicted ? correct / predicted : null };
  });
}

/**
 * The misclassified samples, most confident first (ties by sample id), optionally
 * only those of one true and/or one predicted class. Paths are filled in by the caller.
 */
export function misclassified(file: PredictionsFile, filter: { trueLabel?: number; predictedLabel?: number } = {}): Omit<MisclassifiedSample, 'path'>[] {
  const out: Omit<MisclassifiedSample, 'path'>[] = [];
  file.sampleIds.forEach((sampleId, i) => {
    const t = file.labels[i]!;
    const p = file.predicted[i]!;
    if (t === p) return;
    if (filter.trueLabel !== undefined && t !== filter.trueLabel) return;
    if (filter.predictedLabel !== undefined && p !== filter.predictedLabel) return;
    out.push({ sampleId, trueLabel: t, predictedLabel: p, confidence: file.confidence[i]! });
  });
  return out.sort((a, b) => b.confidence - a.confidence || a.sampleId - b.sampleId);
}
