/** Learning rate at a point of training, from the config's schedule and warm-up. */
import type { TrainConfig } from '../common/contract/train.ts';

/** epoch: 0-based; step: 0-based inside the epoch. */
export function learningRate(cfg: Pick<TrainConfig, 'optimizer' | 'schedule' | 'warmup' | 'epochs'>, epoch: number, step: number, stepsPerEpoch: number): number {
  const base = cfg.optimizer.lr;
  const warm = cfg.warmup?.epochs ?? 0;
  if (epoch < warm) {
    if (cfg.warmup?.lr !== undefined) return cfg.warmup.lr;
    return (base * (epoch * stepsPerEpoch + step + 1)) / (warm * stepsPerEpoch);
  }
  const s = cfg.schedule;
  switch (s.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(s.gamma, s.milestones.filter((m) => epoch >= m).length);
    case 'cosine': {
      // Per step, so the last steps run at ~minLr: with SFP, filters zeroed at the previous epoch
      // regrow fast (BN's gradient on a zero-variance channel is scaled by 1/sqrt(eps)), and a
      // large final learning rate lets them overtake important filters before the final mask.
      const span = Math.max(1, cfg.epochs - warm);
      const t = (epoch - warm + step / stepsPerEpoch) / span;
      return s.minLr + ((base - s.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
    }
  }
}
