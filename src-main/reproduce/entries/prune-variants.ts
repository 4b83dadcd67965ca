/**
 * The soft-pruning variants on a short schedule (issue: "which variant closes
 * the gap to the baseline"): ResNet-20 at rate 30%, SFP with the paper's
 * defaults, SFP plus each BN-aware variant, and the other criteria with SFP's
 * soft schedule. Shared by the `prune-variants` reproduction and
 * `npm run bench:prune-variants`, so both run exactly these configs.
 */
import type { TrainConfigInput } from '../../common/contract/train.ts';

type PruneBlock = NonNullable<TrainConfigInput['prune']>;

export interface VariantRun {
  key: string;
  label: string;
  /** Absent for the unpruned baseline. */
  prune?: PruneBlock;
}

const sfp30: PruneBlock = { method: 'sfp', rate: 0.3, bnRecalibrationBatches: 8 };

export function pruneVariantRuns(): VariantRun[] {
  return [
    { key: 'baseline', label: 'baseline (unpruned)' },
    { key: 'sfp', label: 'SFP 30% (paper defaults)', prune: sfp30 },
    { key: 'sfp-zero-bn', label: 'SFP + zeroBn', prune: { ...sfp30, zeroBn: true } },
    { key: 'sfp-no-regrowth', label: 'SFP + noRegrowth', prune: { ...sfp30, noRegrowth: true } },
    { key: 'sfp-reestimate-bn', label: 'SFP + reestimateBn', prune: { ...sfp30, reestimateBn: true } },
    { key: 'sfp-all', label: 'SFP + all three variants', prune: { ...sfp30, zeroBn: true, noRegrowth: true, reestimateBn: true } },
    { key: 'fpgm', label: 'FPGM 30% (soft schedule)', prune: { ...sfp30, criterion: 'fpgm' } },
    { key: 'bn-scale', label: 'BN-scale 30% (soft schedule)', prune: { ...sfp30, criterion: 'bn-scale' } },
  ];
}

export interface QuickConfigOptions {
  datasetId: number;
  limit: number;
  testLimit: number;
  epochs: number;
  batchSize: number;
  seed: number;
  prune?: PruneBlock;
  arch?: string;
}

/**
 * The short Fashion-MNIST schedule every quick pruning reproduction uses: SGD
 * Nesterov 0.9, weight decay 5e-4 (SFP's), per-step cosine from lr 0.1, pad-crop 2 +
 * flip, 10% of the training images held out for validation (nothing is chosen on test).
 */
export function quickFashionMnistConfig(o: QuickConfigOptions): TrainConfigInput {
  return {
    dataset: { id: o.datasetId, limit: o.limit, testLimit: o.testLimit, validationFraction: 0.1 },
    model: { arch: o.arch ?? 'resnet20' },
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', minLr: 0 },
    augment: {
      spec: {
        steps: [
          { transform: 'padCrop', options: { padding: 2 } },
          { transform: 'horizontalFlip', options: { p: 0.5 } },
          { transform: 'normalize', options: { mean: [0.286], std: [0.353], scale: 255 } },
        ],
      },
    },
    ...(o.prune ? { prune: o.prune } : {}),
    seed: o.seed,
  };
}
