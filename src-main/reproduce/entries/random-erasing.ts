/**
 * Random Erasing on/off (methods.md section 3): test error of ResNet-20 with and
 * without erasing, on Fashion-MNIST and on CIFAR-10 (one entry per dataset, as
 * the reference README reports them).
 */
import type { CatalogueEntry, RunSpec } from '../entry.ts';
import { erasingPaper, quickCifar, quickFashionMnist, quickRecipe } from '../recipes.ts';

const source = 'Random Erasing reference README, test error % (methods.md section 3)';

function entry(o: { id: string; name: string; grayscale: boolean; base: number; erased: number; archs: { arch: string; name: string; base?: number; erased?: number }[] }): CatalogueEntry {
  const quickScale = o.grayscale ? quickFashionMnist : quickCifar;
  const runs = (quick: boolean, archs: typeof o.archs): RunSpec[] =>
    archs.flatMap((a) => [
      { key: `${a.arch}-base`, label: `${a.name} without erasing`, config: (ctx) => (quick ? quickRecipe(ctx, { arch: a.arch, grayscale: o.grayscale, scale: quickScale }) : erasingPaper(ctx, { arch: a.arch, grayscale: o.grayscale })) },
      {
        key: `${a.arch}-re`,
        label: `${a.name} with Random Erasing`,
        config: (ctx) => (quick ? quickRecipe(ctx, { arch: a.arch, grayscale: o.grayscale, scale: quickScale, randomErasing: true }) : erasingPaper(ctx, { arch: a.arch, grayscale: o.grayscale, randomErasing: true })),
      },
    ]);
  return {
    id: o.id,
    title: `Random Erasing on ${o.name}`,
    claim: `Random Erasing lowers ResNet-20's test error on ${o.name} from ${o.base}% to ${o.erased}%.`,
    paper: 'Zhong et al., Random Erasing Data Augmentation (arXiv 1708.04896)',
    dataset: { description: `${o.name} (10 classes) with its train/test split`, classes: 10 },
    fullTrainImages: o.grayscale ? 60000 : 50000,
    scales: {
      quick: {
        description: `ResNet-20 with and without erasing, ${quickScale.limit.toLocaleString('en')} training images (10% held out), ${quickScale.epochs} epochs, batch ${quickScale.batchSize}, per-step cosine from lr 0.1, pad-crop + flip; 2 seeds.`,
        runs: runs(true, o.archs.slice(0, 1)),
        defaultSeeds: [1, 2],
      },
      paper: {
        description: 'All training images, the reference recipe: 300 epochs, batch 128, lr 0.1 x0.1 at 150 and 225, momentum 0.9, wd 5e-4, pad-4 crop + flip; erasing p 0.5, area 0.02-0.4, aspect 0.3-3.3, random fill, after normalisation; 1 seed.',
        runs: runs(false, o.archs),
        defaultSeeds: [1],
      },
    },
    claims: o.archs.flatMap((a) => [
      ...(a.base !== undefined && a.erased !== undefined
        ? [
            { key: `${a.arch}-base-error`, label: `${a.name} test error without erasing`, kind: 'value' as const, paper: a.base, tolerance: 0.3, judgedAtQuick: false, source, measure: { run: `${a.arch}-base`, metric: 'error' as const } },
            { key: `${a.arch}-re-error`, label: `${a.name} test error with erasing`, kind: 'value' as const, paper: a.erased, tolerance: 0.3, judgedAtQuick: false, source, measure: { run: `${a.arch}-re`, metric: 'error' as const } },
            {
              key: `${a.arch}-gain`,
              label: `${a.name}: error reduction from erasing (points)`,
              kind: 'value' as const,
              paper: Math.round((a.base - a.erased) * 100) / 100,
              tolerance: 0.3,
              judgedAtQuick: false,
              source,
              measure: { run: `${a.arch}-base`, metric: 'error' as const, minus: `${a.arch}-re` },
            },
          ]
        : []),
      {
        key: `${a.arch}-helps`,
        label: `${a.name}: erasing lowers the error`,
        kind: 'direction' as const,
        paper: null,
        tolerance: 0,
        judgedAtQuick: true,
        source: `${source}, direction`,
        measure: { run: `${a.arch}-base`, metric: 'error' as const, minus: `${a.arch}-re` },
      },
    ]),
  };
}

export const randomErasingFashionMnistEntry = entry({
  id: 'random-erasing-fashion-mnist',
  name: 'Fashion-MNIST',
  grayscale: true,
  base: 4.39,
  erased: 4.02,
  archs: [{ arch: 'resnet20', name: 'ResNet-20', base: 4.39, erased: 4.02 }],
});

export const randomErasingCifar10Entry = entry({
  id: 'random-erasing-cifar10',
  name: 'CIFAR-10',
  grayscale: false,
  base: 7.21,
  erased: 6.73,
  archs: [
    { arch: 'resnet20', name: 'ResNet-20', base: 7.21, erased: 6.73 },
    { arch: 'resnet56', name: 'ResNet-56', base: 5.31, erased: 4.89 },
  ],
});
