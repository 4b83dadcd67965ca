import type { TrainConfig } from '../common/contract/train.ts';

/** What a run does, as the models table and the runs list name it: baseline | finetune | sfp | psfp. */
export function methodOf(cfg: Pick<TrainConfig, 'prune' | 'parentModelId'>): string {
  return cfg.prune ? cfg.prune.method : cfg.parentModelId ? 'finetune' : 'baseline';
}

/**
 * How often the runner records the per-batch curves (`batch_loss`, `batch_lr`):
 * every step of a short epoch, about 50 points over a long one.
 */
export function batchLogInterval(stepsPerEpoch: number): number {
  return Math.max(1, Math.round(stepsPerEpoch / 50));
}
