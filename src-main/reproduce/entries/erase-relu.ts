/**
 * EraseReLU on/off on CIFAR ResNets (methods.md section 5). The paper gives no
 * CIFAR-10 ResNet number (its headline is a wide ResNet on CIFAR-100, 16.53%
 * error), so the claim is its direction: removing the last ReLU of every block
 * does not hurt, and helps deeper networks more.
 */
import type { CatalogueEntry, RunSpec } from '../entry.ts';
import { cifarPaper, quickCifar, quickRecipe } from '../recipes.ts';

const archs = [
  { arch: 'resnet20', name: 'ResNet-20' },
  { arch: 'resnet56', name: 'ResNet-56' },
];

function runs(quick: boolean): RunSpec[] {
  return archs.flatMap((a) =>
    [false, true].map((erase) => ({
      key: `${a.arch}-${erase ? 'erase-relu' : 'base'}`,
      label: `${a.name}${erase ? ' with EraseReLU' : ''}`,
      config: (ctx: Parameters<RunSpec['config']>[0]) =>
        quick ? quickRecipe(ctx, { arch: a.arch, eraseRelu: erase, grayscale: false, scale: quickCifar }) : cifarPaper(ctx, { arch: a.arch, eraseRelu: erase }),
    })),
  );
}

export const eraseReluEntry: CatalogueEntry = {
  id: 'erase-relu',
  title: 'EraseReLU on CIFAR ResNets',
  claim: 'Removing the last ReLU of every residual block (EraseReLU) improves accuracy, more so in deeper networks.',
  paper: 'Dong et al., EraseReLU (arXiv 1709.07634)',
  dataset: { description: 'CIFAR-10 (32x32 RGB, 10 classes) with a train/test split', classes: 10 },
  fullTrainImages: 50000,
  scales: {
    quick: {
      description: 'ResNet-20 and ResNet-56 with and without EraseReLU, 5,000 training images (10% held out), 2,000 test images, 10 epochs, batch 64, per-step cosine from lr 0.1, pad-crop 4 + flip; 1 seed.',
      runs: runs(true),
      defaultSeeds: [1],
    },
    paper: {
      description: "All 50,000 training images, the CIFAR ResNet recipe of SFP's code base (200 epochs, batch 128, lr 0.01 then 0.1, x0.2 at 60/120/160); 2 seeds.",
      runs: runs(false),
      defaultSeeds: [1, 2],
    },
  },
  claims: archs.map((a) => ({
    key: `${a.arch}-gain`,
    label: `${a.name}: accuracy gain from EraseReLU (points)`,
    kind: 'direction' as const,
    paper: null,
    tolerance: 0,
    judgedAtQuick: true,
    source: 'EraseReLU paper (direction; its numbers are CIFAR-100 and SVHN with wide ResNets)',
    measure: { run: `${a.arch}-erase-relu`, metric: 'accuracy' as const, minus: `${a.arch}-base` },
  })),
};
