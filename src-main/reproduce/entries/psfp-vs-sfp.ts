/**
 * PSFP against SFP at the same rate (methods.md section 2): the paper's claim is
 * ResNet-50 on ImageNet, +1.08 top-1 over SFP without the progressive schedule.
 */
import type { CatalogueEntry } from '../entry.ts';
import { imagenetPaper, quickFashionMnist, quickRecipe } from '../recipes.ts';

export const psfpVsSfpEntry: CatalogueEntry = {
  id: 'psfp-vs-sfp',
  title: 'PSFP vs SFP at equal rate',
  claim: 'Growing the pruning rate progressively (PSFP) selects low-norm filters more stably than SFP: ResNet-50 on ImageNet at 30%, +1.08 top-1.',
  paper: 'He et al., Progressive Deep Neural Networks Acceleration via Soft Filter Pruning (arXiv 1808.07471)',
  dataset: { description: 'ImageNet class folders (paper scale), Fashion-MNIST (quick scale)', classes: null },
  fullTrainImages: 1281167,
  scales: {
    quick: {
      description: 'Fashion-MNIST, ResNet-20 at 30%, SFP and PSFP, 6,000 training images (10% held out), 10 epochs, batch 64, per-step cosine from lr 0.1; 2 seeds.',
      runs: [
        { key: 'sfp', label: 'SFP 30%', config: (ctx) => quickRecipe(ctx, { arch: 'resnet20', prune: { method: 'sfp', rate: 0.3 }, grayscale: true, scale: quickFashionMnist }) },
        { key: 'psfp', label: 'PSFP 30%', config: (ctx) => quickRecipe(ctx, { arch: 'resnet20', prune: { method: 'psfp', rate: 0.3 }, grayscale: true, scale: quickFashionMnist }) },
      ],
      defaultSeeds: [1, 2],
    },
    paper: {
      description: "ImageNet, ResNet-50 at 30%, SFP and PSFP, SFP's ImageNet recipe: 100 epochs, batch 256, lr 0.1 x0.1 every 30 epochs, wd 1e-4, RandomResizedCrop 224 + flip; 1 seed.",
      runs: [
        { key: 'sfp', label: 'SFP 30%', config: (ctx) => imagenetPaper(ctx, { arch: 'resnet50', prune: { method: 'sfp', rate: 0.3 } }) },
        { key: 'psfp', label: 'PSFP 30%', config: (ctx) => imagenetPaper(ctx, { arch: 'resnet50', prune: { method: 'psfp', rate: 0.3 } }) },
      ],
      defaultSeeds: [1],
    },
  },
  claims: [
    {
      key: 'psfp-gain',
      label: 'PSFP minus SFP, top-1 accuracy (points)',
      kind: 'value',
      paper: 1.08,
      tolerance: 0.5,
      judgedAtQuick: false,
      source: 'PSFP paper, ResNet-50 ImageNet (methods.md section 2)',
      measure: { run: 'psfp', metric: 'accuracy', minus: 'sfp' },
    },
    {
      key: 'psfp-better',
      label: 'PSFP at least as accurate as SFP',
      kind: 'direction',
      paper: null,
      tolerance: 0,
      judgedAtQuick: true,
      source: 'PSFP paper (direction of its claim)',
      measure: { run: 'psfp', metric: 'accuracy', minus: 'sfp' },
    },
  ],
};
