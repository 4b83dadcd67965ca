/**
 * Source-only vs DANN on Fashion-MNIST -> Fashion-MNIST-M, with chance as the
 * trivial floor: Fashion-MNIST (IDX, `/usr/share/datasets/fashion-mnist`,
 * Debian's dataset-fashion-mnist) is the labeled source; the target is made by
 * the adapt.generate job from it and the CIFAR-10 test images
 * (`../shared/data/cifar10-test`). Both methods train the same backbone with
 * the same schedule and seed; target accuracy is measured on the target's
 * 'test' split, whose labels no method sees. DAAA's translation of the source
 * is a second blend of the whole source (another seed): the generator itself
 * as the translator, i.e. what a perfect CycleGAN would give, so its row is an
 * upper bound for DAAA with a learned translation.
 *
 *   npm run bench:adapt [-- --train 3000 --epochs 6 --width 0.5 --seeds 1,2 --methods source-only,dann,daaa --target-weight 1 --workspace DIR]
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
import { parseAdaptBenchArgs, summarizeSeeds, type AdaptBenchOptions, type SeedRun } from './options.ts';
import { startEngine } from '../../engine/start.ts';

let o: AdaptBenchOptions;
try {
  o = parseAdaptBenchArgs(process.argv.slice(2), { fashion: '/usr/share/datasets/fashion-mnist', cifar: path.resolve(process.cwd(), '..', 'shared', 'data', 'cifar10-test') });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const { fashion, cifar, train, test, epochs, width, seeds, dataSeed, methods, targetWeight } = o;

for (const [what, dir] of [['Fashion-MNIST (apt-get install dataset-fashion-mnist)', fashion], ['CIFAR-10 test images', cifar]] as const) {
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

const own = o.workspace;
const dir = own || mkdtempSync(path.join(os.tmpdir(), 'wb-bench-adapt-'));
const ws = Workspace.open(own ? own : path.join(dir, 'ws'));
try {
  const engine = await startEngine();
  const idOf = (jobId: number): number => (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(jobId) as { id: number }).id;
  const source = idOf((await run(ws, datasetImportJob, { path: fashion, format: 'idx', name: 'Fashion-MNIST', allowDuplicate: true })).jobId);
  const patches = idOf((await run(ws, datasetImportJob, { path: cifar, format: 'imagefolder', name: 'CIFAR-10 test', allowDuplicate: true })).jobId);
  const gen = await run(ws, adaptGenerateJob, { sourceDatasetId: source, patchDatasetId: patches, limitPerSplit: Math.max(train, test), seed: dataSeed });
  const target = idOf(gen.jobId);
  const translated = idOf((await run(ws, adaptGenerateJob, { sourceDatasetId: source, patchDatasetId: patches, seed: dataSeed + 100, name: 'Fashion-MNIST blended (translation)' })).jobId);
  const runs: SeedRun[] = [];
  for (const seed of seeds) {
    for (const method of methods) {
      const t = await run(ws, adaptTrainJob, { method, sourceDatasetId: source, targetDatasetId: target, ...(method === 'daaa' ? { translatedDatasetId: translated, targetWeight } : {}), arch: 'resnet20', modelOptions: { widthMultiplier: width }, epochs, batchSize: 64, lr: 0.05, limit: train, testLimit: test, seed });
      runs.push({ method, seed, sourceAccuracy: t.result.sourceAccuracy, targetAccuracy: t.result.targetAccuracy, trainSeconds: t.seconds });
    }
  }
  const summary = [{ method: 'chance', seeds: 0, sourceAccuracy: 0.1, targetAccuracy: 0.1, targetMin: null, targetMax: null, targetStd: null }, ...summarizeSeeds(runs)];
  const pct = (v: number | null): string => (v === null ? '-' : (v * 100).toFixed(1));
  console.error(
    [
      `| method | source test acc | target test acc (mean over ${seeds.length} seed${seeds.length > 1 ? 's' : ''}) | target min-max | target std |`,
      '|---|---|---|---|---|',
      ...summary.map((r) => `| ${r.method} | ${pct(r.sourceAccuracy)} | ${pct(r.targetAccuracy)} | ${r.targetMin === null ? '-' : `${pct(r.targetMin)}-${pct(r.targetMax)}`} | ${pct(r.targetStd)} |`),
    ].join('\n'),
  );
  console.log(JSON.stringify({ backend: engine.backend, arch: 'resnet20', widthMultiplier: width, train, test, epochs, seeds, dataSeed, targetWeight, generateSeconds: gen.seconds, summary, runs }, null, 1));
} finally {
  ws.close();
  if (!own) rmSync(dir, { recursive: true, force: true });
}
