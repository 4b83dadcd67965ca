/**
 * The shape of a catalogue entry: its runs per scale (each a `train` config
 * built for the dataset and seed a lab picks) and its claims, each measured
 * from the runs' results.
 */
import type { TrainConfigInput } from '../common/contract/train.ts';
import type { ReproduceScale, ReproductionClaim, ReproductionEntry } from '../common/contract/reproduce.ts';

/** What a run contributes to a claim: final test accuracy, error (100 - accuracy) or the paper-style FLOPs cut, in percent. */
export type RunMetric = 'accuracy' | 'error' | 'flopsCut';

/** ours = metric(run), or metric(run) - metric(minus) (a drop, a gain). */
export interface Measure {
  run: string;
  metric: RunMetric;
  minus?: string;
}

export interface CatalogueClaim extends ReproductionClaim {
  measure: Measure;
}

export interface RunContext {
  datasetId: number;
  split?: string;
  seed: number;
}

export interface RunSpec {
  key: string;
  label: string;
  config: (ctx: RunContext) => TrainConfigInput;
}

export interface ScaleSpec {
  description: string;
  runs: RunSpec[];
  defaultSeeds: number[];
}

export interface CatalogueEntry extends Omit<ReproductionEntry, 'scales' | 'claims'> {
  /** Training images of the full dataset, to cost runs that use all of it. */
  fullTrainImages: number;
  scales: Record<ReproduceScale, ScaleSpec>;
  claims: CatalogueClaim[];
}
