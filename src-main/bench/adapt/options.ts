/**
 * `bench:adapt`'s command line and its summary over seeds, apart from the run
 * so they are tested without training.
 */
import type { AdaptMethod } from '../../common/contract/adapt.ts';

/**
 * The rows `bench:adapt` can train: an adapt.train method and, for DAAA, where
 * its translation of the source comes from. 'blend' is a second adapt.generate
 * blend of the source (the generator as the translator: what a perfect
 * translator would give, an upper bound); 'cyclegan' is a short learned
 * CycleGAN run (the SPGAN runners with the contrastive weight 0) and its
 * translation of the source's training images, the translation the method is
 * defined with.
 */
export const benchVariants = {
  'source-only': { method: 'source-only', translation: null },
  dann: { method: 'dann', translation: null },
  daaa: { method: 'daaa', translation: 'blend' },
  // The ablations: one of DAAA's two terms off (weight 0), everything else DAAA's.
  'daaa-no-attention': { method: 'daaa', translation: 'blend', params: { attentionWeight: 0 } },
  'daaa-no-em': { method: 'daaa', translation: 'blend', params: { targetWeight: 0 } },
  // Neither term: the translated source's labels alone (what the translation itself is worth).
  'daaa-translation-only': { method: 'daaa', translation: 'blend', params: { attentionWeight: 0, targetWeight: 0 } },
  // The EM as first written (the prior re-estimated, soft labels from epoch 2), whatever --em-start / --em-prior say.
  'daaa-em-estimated': { method: 'daaa', translation: 'blend', params: { emPrior: 'estimated', emStartEpoch: 2 } },
  'daaa-cyclegan': { method: 'daaa', translation: 'cyclegan' },
  // The same two ablations on the learned translation (one CycleGAN run per bench, shared by every row and seed).
  'daaa-cyclegan-no-attention': { method: 'daaa', translation: 'cyclegan', params: { attentionWeight: 0 } },
  'daaa-cyclegan-no-em': { method: 'daaa', translation: 'cyclegan', params: { targetWeight: 0 } },
  // The ceiling, for reference only: the same backbone and schedule trained on the target's own
  // labels (its 'train' split), measured on its 'test' split. It runs as source-only with the two
  // domains swapped, so adapt.train's source accuracy is the target's.
  'target-supervised': { method: 'source-only', translation: null, trainOn: 'target' },
} as const satisfies Record<string, BenchVariantSpec>;

export interface BenchVariantSpec {
  method: AdaptMethod;
  translation: 'blend' | 'cyclegan' | null;
  /** adapt.train parameters this row sets over the bench's (its ablation). */
  params?: { attentionWeight?: number; targetWeight?: number; emPrior?: 'estimated' | 'balanced'; emStartEpoch?: number };
  /** 'target': trained on the target's labels (the ceiling row). */
  trainOn?: 'target';
}
export type BenchVariant = keyof typeof benchVariants;
const variantNames = Object.keys(benchVariants) as BenchVariant[];

/** The short CycleGAN run behind 'daaa-cyclegan'. */
export interface CycleganOptions {
  epochs: number;
  /** Source images per epoch (the source's training split is 60,000 images). */
  imagesPerEpoch: number;
  generatorWidth: number;
  residualBlocks: number;
}

/** The two tasks: the grayscale source, blended with CIFAR-10 patches into its "-M" target. */
export const benchTasks = ['mnist', 'fashion'] as const;
export type BenchTask = (typeof benchTasks)[number];

export interface AdaptBenchOptions {
  task: BenchTask;
  fashion: string;
  cifar: string;
  train: number;
  test: number;
  epochs: number;
  width: number;
  /** Initial learning rate of every row (annealed as DANN's mu_0/(1+10p)^0.75). */
  lr: number;
  /** Training seeds: every method trains once per seed (weights, data order, augmentation). */
  seeds: number[];
  /** Seed of the generated target domain and translation: one data set for every training seed, so the spread is the training's. */
  dataSeed: number;
  methods: BenchVariant[];
  targetWeight: number;
  /** DAAA: the first epoch trained against the EM soft labels (adapt.train's emStartEpoch). */
  emStartEpoch: number;
  /** DAAA: 'estimated' (the EM's target prior) or 'balanced' (held at the source's; adapt.train's emPrior). */
  emPrior: 'estimated' | 'balanced';
  cyclegan: CycleganOptions;
  workspace: string;
}

/** Parses the arguments; throws naming the flag on a bad value. */
export function parseAdaptBenchArgs(args: readonly string[], defaults: { fashion: string; cifar: string }): AdaptBenchOptions {
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  const int = (name: string, fallback: string, min: number): number => {
    const v = Number(opt(name, fallback));
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${opt(name, fallback)}".`);
    return v;
  };
  const number = (name: string, fallback: string): number => {
    const v = Number(opt(name, fallback));
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number >= 0, got "${opt(name, fallback)}".`);
    return v;
  };
  const positive = (name: string, fallback: string): number => {
    const v = Number(opt(name, fallback));
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a number > 0, got "${opt(name, fallback)}".`);
    return v;
  };
  // --seeds 1,2 (every seed) or --seed 1 (one); --seeds wins.
  const seedList = args.includes('--seeds') ? opt('seeds', '1') : opt('seed', '1');
  const seeds = seedList.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new Error(`--seeds: expected comma-separated integers >= 0, got "${seedList}".`);
  const unique = [...new Set(seeds.map(Number))];
  if (unique.length !== seeds.length) throw new Error(`--seeds: "${seedList}" names a seed twice.`);
  const task = opt('task', 'fashion');
  if (!(benchTasks as readonly string[]).includes(task)) throw new Error(`--task: unknown task "${task}" (known: ${benchTasks.join(', ')}).`);
  const methods = opt('methods', 'source-only,dann,daaa').split(',');
  const emPrior = opt('em-prior', 'estimated');
  if (emPrior !== 'estimated' && emPrior !== 'balanced') throw new Error(`--em-prior: expected estimated or balanced, got "${emPrior}".`);
  for (const m of methods) if (!(variantNames as string[]).includes(m)) throw new Error(`--methods: unknown method "${m}" (known: ${variantNames.join(', ')}).`);
  return {
    task: task as BenchTask,
    fashion: opt('fashion', defaults.fashion),
    cifar: opt('cifar', defaults.cifar),
    train: int('train', '3000', 1),
    test: int('test', '1000', 1),
    epochs: int('epochs', '6', 1),
    width: number('width', '0.5'),
    lr: positive('lr', '0.05'),
    seeds: unique,
    dataSeed: int('data-seed', String(unique[0]), 0),
    methods: methods as BenchVariant[],
    targetWeight: number('target-weight', '1'),
    emStartEpoch: int('em-start', '2', 2),
    emPrior: emPrior as 'estimated' | 'balanced',
    cyclegan: {
      epochs: int('gan-epochs', '3', 1),
      imagesPerEpoch: int('gan-images', '2000', 1),
      generatorWidth: int('gan-width', '16', 2),
      residualBlocks: int('gan-blocks', '3', 1),
    },
    workspace: opt('workspace', ''),
  };
}

export interface SeedRun {
  method: string;
  seed: number;
  sourceAccuracy: number | null;
  targetAccuracy: number | null;
  trainSeconds: number | null;
}

export interface MethodSummary {
  method: string;
  seeds: number;
  /** Means over the seeds (null when no seed measured it). */
  sourceAccuracy: number | null;
  targetAccuracy: number | null;
  /** Target accuracy over the seeds: lowest, highest, sample standard deviation (null with one seed). */
  targetMin: number | null;
  targetMax: number | null;
  targetStd: number | null;
  /** Mean training time of a run (null when none was timed). */
  trainSeconds: number | null;
}

/** Per method, in the order methods first appear: means over seeds and the target accuracy's spread. */
export function summarizeSeeds(runs: readonly SeedRun[]): MethodSummary[] {
  const methods = [...new Set(runs.map((r) => r.method))];
  const mean = (v: number[]): number | null => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  return methods.map((method) => {
    const own = runs.filter((r) => r.method === method);
    const target = own.flatMap((r) => (r.targetAccuracy === null ? [] : [r.targetAccuracy]));
    const m = mean(target);
    const std = target.length > 1 && m !== null ? Math.sqrt(target.reduce((a, v) => a + (v - m) ** 2, 0) / (target.length - 1)) : null;
    return {
      method,
      seeds: own.length,
      sourceAccuracy: mean(own.flatMap((r) => (r.sourceAccuracy === null ? [] : [r.sourceAccuracy]))),
      targetAccuracy: m,
      targetMin: target.length ? Math.min(...target) : null,
      targetMax: target.length ? Math.max(...target) : null,
      targetStd: std,
      trainSeconds: mean(own.flatMap((r) => (r.trainSeconds === null ? [] : [r.trainSeconds]))),
    };
  });
}
