import type { TrainConfigInput } from '../../../src-main/common/contract/index.ts';

/** The flat values the new-run form edits; `toConfig` turns them into a train config. */
export interface TrainForm {
  name: string;
  datasetId: number | null;
  trainSplit: string;
  testSplit: string;
  validationFraction: number;
  limit: number | null;
  /** Evaluate only the first N test images (quick trials need not score all of them). */
  testLimit: number | null;
  start: 'scratch' | 'parent';
  arch: string;
  shortcut: 'A' | 'B';
  parentModelId: number | null;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  schedule: 'constant' | 'step' | 'cosine';
  milestones: string;
  gamma: number;
  minLr: number;
  warmupEpochs: number;
  pipelineId: number | null;
  prune: 'none' | 'sfp' | 'psfp';
  rate: number;
  interval: number;
  d: number;
  seed: number;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

/** Defaults follow the SFP CIFAR recipe, shortened to something a CPU finishes. */
export function defaultTrainForm(): TrainForm {
  return {
    name: '', datasetId: null, trainSplit: 'train', testSplit: 'test', validationFraction: 0.1, limit: null, testLimit: null,
    start: 'scratch', arch: 'resnet20', shortcut: 'A', parentModelId: null,
    epochs: 10, batchSize: 128, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true,
    schedule: 'step', milestones: defaultMilestones(10), gamma: 0.2, minLr: 0, warmupEpochs: 0,
    pipelineId: null, prune: 'none', rate: 0.3, interval: 1, d: 0.125, seed: 0, backend: 'auto',
  };
}

/**
 * Step milestones at 50% and 75% of the run (the SFP recipe's proportions),
 * as the form's text. The schedule counts epochs from 0 and drops the lr at
 * `epoch >= m`, so only 1..epochs-1 has an effect; a 1-epoch run keeps "1"
 * (allowed, never reached) because a step schedule needs one milestone.
 */
export function defaultMilestones(epochs: number): string {
  const e = Number.isFinite(epochs) ? Math.floor(epochs) : 0;
  const ms = [...new Set([Math.round(e * 0.5), Math.round(e * 0.75)])].filter((m) => m >= 1 && m < e);
  return (ms.length ? ms : [1]).join(', ');
}

/** `cifarFamily`: the shortcut option exists only for the CIFAR ResNets. */
export function toConfig(f: TrainForm, cifarFamily: boolean): TrainConfigInput {
  const schedule: TrainConfigInput['schedule'] =
    f.schedule === 'step'
      ? { kind: 'step', milestones: f.milestones.split(/[\s,]+/).filter(Boolean).map(Number), gamma: f.gamma }
      : f.schedule === 'cosine'
        ? { kind: 'cosine', minLr: f.minLr }
        : { kind: 'constant' };
  return {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    dataset: {
      id: f.datasetId ?? 0,
      trainSplit: f.trainSplit,
      testSplit: f.testSplit.trim() ? f.testSplit.trim() : null,
      validationFraction: f.validationFraction,
      ...(f.limit ? { limit: f.limit } : {}),
      ...(f.testLimit && f.testSplit.trim() ? { testLimit: f.testLimit } : {}),
    },
    ...(f.start === 'scratch'
      ? { model: { arch: f.arch as NonNullable<TrainConfigInput['model']>['arch'], options: cifarFamily ? { shortcut: f.shortcut } : {} } }
      : { parentModelId: f.parentModelId ?? 0 }),
    epochs: f.epochs,
    batchSize: f.batchSize,
    optimizer: { lr: f.lr, momentum: f.momentum, nesterov: f.nesterov, weightDecay: f.weightDecay },
    schedule,
    ...(f.warmupEpochs > 0 ? { warmup: { epochs: f.warmupEpochs } } : {}),
    ...(f.pipelineId ? { augment: { pipelineId: f.pipelineId } } : {}),
    ...(f.prune !== 'none' ? { prune: { method: f.prune, rate: f.rate, interval: f.interval, ...(f.prune === 'psfp' ? { d: f.d } : {}) } } : {}),
    seed: f.seed,
  };
}
