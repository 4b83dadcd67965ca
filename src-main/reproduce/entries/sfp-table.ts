/**
 * SFP's CIFAR-10 table (methods.md section 1): ResNet-20/32/56/110 pruned from
 * scratch at 10/20/30%, accuracy before/after and the paper-style FLOPs cut.
 * The FLOPs cut does not depend on training, so it is judged at the quick scale
 * too; accuracies only at the paper's.
 */
import type { CatalogueClaim, CatalogueEntry, RunSpec } from '../entry.ts';
import { cifarPaper, quickCifar, quickRecipe } from '../recipes.ts';

const archs = [
  { arch: 'resnet20', name: 'ResNet-20', base: 92.2, pruned30: 90.83, flops: [15.2, 29.3, 42.2] },
  { arch: 'resnet32', name: 'ResNet-32', base: 92.63, pruned30: 92.08, flops: [14.9, 28.8, 41.5] },
  { arch: 'resnet56', name: 'ResNet-56', base: 93.59, pruned30: 93.1, flops: [14.7, 28.4, 41.1] },
  { arch: 'resnet110', name: 'ResNet-110', base: 93.68, pruned30: 93.38, flops: [14.6, 28.2, 40.8] },
] as const;
const rates = [0.1, 0.2, 0.3] as const;
const pct = (r: number): number => Math.round(r * 100);

function runs(scaleArchs: readonly (typeof archs)[number][], quick: boolean): RunSpec[] {
  const build = (arch: string, rate?: number): RunSpec['config'] => (ctx) => {
    const prune = rate === undefined ? undefined : { method: 'sfp' as const, rate };
    return quick ? quickRecipe(ctx, { arch, prune, grayscale: false, scale: quickCifar }) : cifarPaper(ctx, { arch, prune });
  };
  return scaleArchs.flatMap((a) => [
    { key: `${a.arch}-baseline`, label: `${a.name} baseline`, config: build(a.arch) },
    ...rates.map((r) => ({ key: `${a.arch}-sfp${pct(r)}`, label: `${a.name} SFP ${pct(r)}%`, config: build(a.arch, r) })),
  ]);
}

const source = 'SFP paper, CIFAR-10 from scratch (N), 3-run means (methods.md section 1)';
const claims: CatalogueClaim[] = archs.flatMap((a) => [
  { key: `${a.arch}-baseline-acc`, label: `${a.name} baseline accuracy`, kind: 'value', paper: a.base, tolerance: 0.5, judgedAtQuick: false, source, measure: { run: `${a.arch}-baseline`, metric: 'accuracy' } },
  { key: `${a.arch}-sfp30-acc`, label: `${a.name} SFP 30% accuracy`, kind: 'value', paper: a.pruned30, tolerance: 0.5, judgedAtQuick: false, source, measure: { run: `${a.arch}-sfp30`, metric: 'accuracy' } },
  {
    key: `${a.arch}-sfp30-drop`,
    label: `${a.name} SFP 30%: accuracy change vs baseline (points)`,
    kind: 'value',
    paper: Math.round((a.pruned30 - a.base) * 100) / 100,
    tolerance: 0.5,
    judgedAtQuick: false,
    source,
    measure: { run: `${a.arch}-sfp30`, metric: 'accuracy', minus: `${a.arch}-baseline` },
  },
  ...rates.map(
    (r, i): CatalogueClaim => ({
      key: `${a.arch}-sfp${pct(r)}-flops`,
      label: `${a.name} SFP ${pct(r)}%: FLOPs cut, paper-style`,
      kind: 'value',
      paper: a.flops[i]!,
      tolerance: 0.1,
      judgedAtQuick: true,
      source: 'SFP reference FLOPs accounting (methods.md section 1 table)',
      measure: { run: `${a.arch}-sfp${pct(r)}`, metric: 'flopsCut' },
    }),
  ),
]);

export const sfpTableEntry: CatalogueEntry = {
  id: 'sfp-table',
  title: 'SFP on CIFAR-10 ResNets (the paper\'s table)',
  claim: 'Soft Filter Pruning at 30% costs ResNet-20/32/56/110 on CIFAR-10 0.3-1.4 points while cutting 41-42% of FLOPs (trained from scratch).',
  paper: 'He et al., Soft Filter Pruning, IJCAI 2018 (arXiv 1808.06866)',
  dataset: { description: 'CIFAR-10 (32x32 RGB, 10 classes), e.g. the CIFAR binaries or class folders with a train/test split', classes: 10 },
  fullTrainImages: 50000,
  scales: {
    quick: {
      description: 'ResNet-20 at 10/20/30% and ResNet-32 at 30%, each with its baseline; 5,000 training images (10% held out), 2,000 test images, 10 epochs, batch 64, per-step cosine from lr 0.1, pad-crop 4 + flip; 1 seed.',
      runs: runs([archs[0]], true).concat(runs([archs[1]], true).filter((r) => r.key.endsWith('baseline') || r.key.endsWith('sfp30'))),
      defaultSeeds: [1],
    },
    paper: {
      description: "All four ResNets at 10/20/30% with baselines; all 50,000 training images, SFP's recipe: 200 epochs, batch 128, Nesterov 0.9, wd 5e-4, lr 0.01 for epoch 0 then 0.1, x0.2 at 60/120/160, pad-crop 4 + flip; 3 seeds as the paper.",
      runs: runs(archs, false),
      defaultSeeds: [1, 2, 3],
    },
  },
  claims,
};
