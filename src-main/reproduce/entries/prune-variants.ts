/**
 * The soft-pruning variants on a short schedule: which one closes the gap to
 * the unpruned baseline? ResNet-20 at rate 30%, SFP with the paper's defaults,
 * SFP plus each BN-aware variant, and the other criteria with SFP's soft
 * schedule. The workbench's own question (no paper number): its claims are
 * findings, measured and not judged. `npm run bench:prune-variants` runs the
 * same quick-scale configs in one process.
 */
import type { TrainConfigInput } from '../../common/contract/train.ts';
import type { CatalogueEntry, RunSpec } from '../entry.ts';
import { cifarPaper, quickFashionMnist, quickRecipe } from '../recipes.ts';

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

export const pruneVariantsEntry: CatalogueEntry = {
  id: 'prune-variants',
  title: 'Soft-pruning variants on a short schedule',
  claim: 'Which soft-mask variant or criterion closes the gap between SFP at 30% and the unpruned ResNet-20 when the schedule is short (the workbench\'s own question; no paper number).',
  paper: 'SFP (IJCAI 2018), FPGM (CVPR 2019), network slimming (ICCV 2017); variants: methods.md section 1 and the prune README',
  dataset: { description: 'Fashion-MNIST (quick) or CIFAR-10 (paper), 10 classes', classes: 10 },
  fullTrainImages: 50000,
  scales: {
    quick: {
      description: 'Fashion-MNIST, ResNet-20, 6,000 training images (10% held out), 10 epochs, batch 64, per-step cosine from lr 0.1, pad-crop 2 + flip; 2 seeds.',
      runs: pruneVariantRuns().map((v): RunSpec => ({ key: v.key, label: v.label, config: (ctx) => quickRecipe(ctx, { arch: 'resnet20', prune: v.prune, grayscale: true, scale: quickFashionMnist }) })),
      defaultSeeds: [1, 2],
    },
    paper: {
      description: "CIFAR-10, ResNet-20, SFP's recipe: 200 epochs, batch 128, lr 0.01 then 0.1, x0.2 at 60/120/160, pad-crop 4 + flip; 2 seeds.",
      runs: pruneVariantRuns().map((v): RunSpec => ({ key: v.key, label: v.label, config: (ctx) => cifarPaper(ctx, { arch: 'resnet20', prune: v.prune }) })),
      defaultSeeds: [1, 2],
    },
  },
  claims: pruneVariantRuns()
    .filter((v) => v.prune)
    .map((v) => ({
      key: `${v.key}-gap`,
      label: `${v.label}: accuracy minus the baseline's`,
      kind: 'finding' as const,
      paper: null,
      tolerance: 0,
      judgedAtQuick: true,
      source: 'measured here',
      measure: { run: v.key, metric: 'accuracy' as const, minus: 'baseline' },
    })),
};
