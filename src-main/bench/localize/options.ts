/**
 * `bench:localize`'s command line, its help and its summary over seeds, apart
 * from the run so they are tested without training.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const benchMethods = ['cam', 'spg'] as const;
export type BenchMethod = (typeof benchMethods)[number];

export interface LocalizeBenchOptions {
  help: boolean;
  /** Generate the set and score only the no-learning baselines (no training). */
  setOnly: boolean;
  fashion: string;
  cifar: string;
  recipe: 'textured' | 'cluttered';
  canvas: number;
  scale: [number, number];
  contrast: number;
  fragments: number;
  train: number;
  val: number;
  test: number;
  /** Seed of the generated set: one set for every training seed, so the spread is the training's. */
  dataSeed: number;
  /** Training seeds: every method trains once per seed. */
  seeds: number[];
  methods: BenchMethod[];
  arch: string;
  epochs: number;
  width: number;
  lr: number;
  batch: number;
  schedule: 'constant' | 'cosine';
  /** First epoch with SPG's guidance losses (1: from the start, the paper's). */
  spgStart: number;
  /**
   * 'cam': as the paper, SPG fine-tunes a trained classifier: CAM trains `initEpochs`
   * first, then SPG (from that model) and CAM (continued from it) train `epochs` more each.
   */
  spgInit: 'none' | 'cam';
  initEpochs: number;
  /** Learning rate of the CAM model both start from (the fine-tuning uses `lr`). */
  initLr: number;
  workspace: string;
}

export const LOCALIZE_BENCH_HELP = `npm run bench:localize -- [options]

CAM vs SPG vs the no-learning baselines (the input image as the score map, the
centre box, the whole-image box) on a generated localization set: Fashion-MNIST
objects pasted on gray CIFAR-10 test images. The set is generated once (from
--data-seed); every method then trains once per seed on it and is evaluated on
'test' with MaxBoxAccV2's thresholds chosen on 'val'. Prints one JSON document
(per-seed rows, the means over seeds, the settings) and a Markdown table on stderr.

The set
  --recipe textured|cluttered   (textured)
  --canvas N                    canvas side in pixels (64)
  --scale LO,HI                 object scale range of the 28 px objects (0.8,1.3)
  --contrast F                  background contrast 0..1 (0.8)
  --fragments N                 clutter fragments per image (4)
  --train N --val N --test N    images per split (2000, 300, 500)
  --data-seed N                 seed of the set (1)
  --set-only                    score the baselines of the set and stop (no training)
Training (the same for every method)
  --methods cam,spg             (cam,spg)
  --seeds 1,2 | --seed N        training seeds (1)
  --arch NAME                   registry backbone (resnet20)
  --width F                     width multiplier (0.5)
  --epochs N                    (6)
  --lr F --batch N              SGD learning rate and batch (0.03, 32)
  --schedule constant|cosine    learning-rate schedule (cosine)
  --spg-start N                 first epoch of SPG's guidance losses (3; 1 is the paper's;
                                1 by default with --spg-init cam)
  --spg-init none|cam           cam: as the paper, SPG fine-tunes a trained classifier: CAM
                                trains --init-epochs at --init-lr, then SPG starts from that
                                model and CAM continues from it, --epochs more each at --lr,
                                so both have the same total epochs (none)
  --init-epochs N               epochs of the CAM model both start from (10)
  --init-lr F                   its learning rate (the value of --lr)
Data and output
  --fashion DIR                 Fashion-MNIST IDX folder (/usr/share/datasets/fashion-mnist)
  --cifar DIR                   CIFAR-10 test image folder (../shared/data/cifar10-test)
  --workspace DIR               keep the workspace there (default: a temporary one, removed)
  --help                        this text`;

/** The CIFAR-10 test images: ../shared/data from the repository root, or from a worktree one level further down. */
export function defaultCifar(cwd: string): string {
  const candidates = [path.resolve(cwd, '..', 'shared', 'data', 'cifar10-test'), path.resolve(cwd, '..', '..', 'shared', 'data', 'cifar10-test')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Parses the arguments; throws naming the flag on a bad or unknown one. */
export function parseLocalizeBenchArgs(args: readonly string[], defaults: { fashion: string; cifar: string }): LocalizeBenchOptions {
  const flags = new Set(['help', 'set-only']);
  const known = new Set(['fashion', 'cifar', 'recipe', 'canvas', 'scale', 'contrast', 'fragments', 'train', 'val', 'test', 'data-seed', 'seeds', 'seed', 'methods', 'arch', 'epochs', 'width', 'lr', 'batch', 'schedule', 'spg-start', 'spg-init', 'init-epochs', 'init-lr', 'workspace']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`Unexpected argument "${a}" (options: --help).`);
    const name = a.slice(2);
    if (flags.has(name)) continue;
    if (!known.has(name)) throw new Error(`Unknown option ${a} (options: --help).`);
    if (args[i + 1] === undefined) throw new Error(`${a}: expected a value.`);
    i++;
  }
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  const int = (name: string, fallback: string, min: number): number => {
    const v = Number(opt(name, fallback));
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${opt(name, fallback)}".`);
    return v;
  };
  const number = (name: string, fallback: string, max = Infinity): number => {
    const v = Number(opt(name, fallback));
    if (!Number.isFinite(v) || v <= 0 || v > max) throw new Error(`--${name}: expected a number in (0, ${max}], got "${opt(name, fallback)}".`);
    return v;
  };
  const choice = <T extends string>(name: string, fallback: T, values: readonly T[]): T => {
    const v = opt(name, fallback);
    if (!(values as readonly string[]).includes(v)) throw new Error(`--${name}: expected one of ${values.join(', ')}, got "${v}".`);
    return v as T;
  };
  const seedList = args.includes('--seeds') ? opt('seeds', '1') : opt('seed', '1');
  const seeds = seedList.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new Error(`--seeds: expected comma-separated integers >= 0, got "${seedList}".`);
  const unique = [...new Set(seeds.map(Number))];
  if (unique.length !== seeds.length) throw new Error(`--seeds: "${seedList}" names a seed twice.`);
  const methods = opt('methods', benchMethods.join(',')).split(',');
  for (const m of methods) if (!(benchMethods as readonly string[]).includes(m)) throw new Error(`--methods: unknown method "${m}" (known: ${benchMethods.join(', ')}).`);
  const scale = opt('scale', '0.8,1.3').split(',').map(Number);
  if (scale.length !== 2 || scale.some((s) => !(s >= 0.25 && s <= 8)) || scale[0]! > scale[1]!) throw new Error(`--scale: expected LO,HI with 0.25 <= LO <= HI <= 8, got "${opt('scale', '')}".`);
  const spgInit = choice('spg-init', 'none', ['none', 'cam'] as const);
  if (spgInit === 'cam' && !methods.includes('spg')) throw new Error('--spg-init cam: --methods must include spg.');
  return {
    help: args.includes('--help'),
    setOnly: args.includes('--set-only'),
    fashion: opt('fashion', defaults.fashion),
    cifar: opt('cifar', defaults.cifar),
    recipe: choice('recipe', 'textured', ['textured', 'cluttered'] as const),
    canvas: int('canvas', '64', 16),
    scale: [scale[0]!, scale[1]!],
    contrast: number('contrast', '0.8', 1),
    fragments: int('fragments', '4', 0),
    train: int('train', '2000', 1),
    val: int('val', '300', 1),
    test: int('test', '500', 1),
    dataSeed: int('data-seed', '1', 0),
    seeds: unique,
    methods: methods as BenchMethod[],
    arch: opt('arch', 'resnet20'),
    epochs: int('epochs', '6', 1),
    width: number('width', '0.5', 8),
    lr: number('lr', '0.03', 10),
    batch: int('batch', '32', 1),
    schedule: choice('schedule', 'cosine', ['constant', 'cosine'] as const),
    spgStart: int('spg-start', spgInit === 'cam' ? '1' : '3', 1),
    spgInit,
    initEpochs: int('init-epochs', '10', 1),
    initLr: number('init-lr', opt('lr', '0.03'), 10),
    workspace: opt('workspace', ''),
  };
}

/** The metrics of one table row, fractions (null where the row has none). */
export interface BenchRow {
  name: string;
  top1Cls: number | null;
  top1Loc: number | null;
  gtKnownLoc: number | null;
  maxBoxAccV2: number | null;
  pxap: number | null;
  trainSeconds?: number | null;
}

const metricKeys = ['top1Cls', 'top1Loc', 'gtKnownLoc', 'maxBoxAccV2', 'pxap', 'trainSeconds'] as const;

/** Mean of each metric over the runs of each row name, in first-seen order, with the number of runs. */
export function meanRows(rows: readonly BenchRow[]): (BenchRow & { runs: number })[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) groups.set(r.name, [...(groups.get(r.name) ?? []), r]);
  return [...groups].map(([name, rs]) => {
    const out: BenchRow & { runs: number } = { name, top1Cls: null, top1Loc: null, gtKnownLoc: null, maxBoxAccV2: null, pxap: null, runs: rs.length };
    for (const k of metricKeys) {
      const vs = rs.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
      if (vs.length > 0) out[k] = vs.reduce((a, b) => a + b, 0) / vs.length;
    }
    return out;
  });
}
