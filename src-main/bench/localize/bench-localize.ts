/**
 * CAM vs SPG vs the no-learning baselines on a generated localization set from
 * real images: Fashion-MNIST objects (IDX, `/usr/share/datasets/fashion-mnist`,
 * Debian's dataset-fashion-mnist) pasted on gray CIFAR-10 test images
 * (`../shared/data/cifar10-test`). The set is generated once; both methods
 * train the same backbone with the same schedule, once per seed; each is
 * evaluated on 'test' with MaxBoxAccV2 thresholds chosen on 'val'.
 *
 *   npm run bench:localize -- --help
 *
 * Prints one JSON document (per-seed rows, means over the seeds, settings).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../core/workspace.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import type { JobSpec } from '../../core/jobs/spec.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import { localizeGenerateJob, localizeTrainJob, localizeEvalJob } from '../../localize/jobs.ts';
import { startEngine } from '../../engine/start.ts';
import { defaultCifar, LOCALIZE_BENCH_HELP, meanRows, parseLocalizeBenchArgs, type BenchRow, type LocalizeBenchOptions } from './options.ts';

let o: LocalizeBenchOptions;
try {
  o = parseLocalizeBenchArgs(process.argv.slice(2), { fashion: '/usr/share/datasets/fashion-mnist', cifar: defaultCifar(process.cwd()) });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
if (o.help) {
  console.log(LOCALIZE_BENCH_HELP);
  process.exit(0);
}
for (const [what, dir] of [['Fashion-MNIST (apt-get install dataset-fashion-mnist)', o.fashion], ['CIFAR-10 test images', o.cifar]] as const) {
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

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : (v * 100).toFixed(1));
function markdown(rows: readonly BenchRow[]): string {
  return ['| method | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${pct(r.top1Cls)} | ${pct(r.top1Loc)} | ${pct(r.gtKnownLoc)} | ${pct(r.maxBoxAccV2)} | ${pct(r.pxap)} |`)].join('\n');
}

const own = o.workspace;
const dir = own || mkdtempSync(path.join(os.tmpdir(), 'wb-bench-localize-'));
const ws = Workspace.open(own ? own : path.join(dir, 'ws'));
// Stopped with Ctrl-C or kill: the temporary workspace goes too (a finally block does not run on a signal).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (!own) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  const engine = await startEngine();
  const idOf = (jobId: number): number => (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(jobId) as { id: number }).id;
  const objects = idOf((await run(ws, datasetImportJob, { path: o.fashion, format: 'idx', name: 'Fashion-MNIST', allowDuplicate: true })).jobId);
  const backgrounds = idOf((await run(ws, datasetImportJob, { path: o.cifar, format: 'imagefolder', name: 'CIFAR-10 test', allowDuplicate: true })).jobId);
  const setParams = { objectDatasetId: objects, recipe: o.recipe, canvas: o.canvas, scale: o.scale, backgroundContrast: o.contrast, fragments: o.fragments, train: o.train, val: o.val, test: o.test, seed: o.dataSeed, ...(o.recipe === 'textured' ? { backgroundDatasetId: backgrounds } : {}) };
  const gen = await run(ws, localizeGenerateJob, setParams);
  const set = idOf(gen.jobId);
  const rows: (BenchRow & { seed: number })[] = [];
  let baselines: BenchRow[] = [];
  const train = (method: string, seed: number, epochs: number, extra: Record<string, unknown> = {}) => ({ datasetId: set, method, arch: o.arch, widthMultiplier: o.width, epochs, batchSize: o.batch, learningRate: o.lr, lrSchedule: o.schedule, seed, spg: { startEpoch: o.spgStart }, ...extra });
  /** Trains, evaluates on 'test', keeps the baselines and adds the model's row under `name`. */
  const trainAndEval = async (name: string, seed: number, params: Record<string, unknown>): Promise<number> => {
    const t = await run(ws, localizeTrainJob, params);
    const modelId = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(t.jobId) as { id: number }).id;
    const e = await run(ws, localizeEvalJob, { modelId, datasetId: set });
    baselines = e.result.rows.slice(1);
    if (!o.setOnly) {
      rows.push({ ...e.result.rows[0]!, name, seed, trainSeconds: t.seconds });
      console.error(markdown([...rows, ...baselines]));
    }
    return modelId;
  };
  for (const seed of o.setOnly ? [o.seeds[0]!] : o.seeds) {
    if (o.setOnly) {
      // A one-epoch model on 20 images, only for the eval job's baseline rows.
      await trainAndEval('CAM', seed, { ...train('cam', seed, 1), limit: 20 });
      break;
    }
    if (o.spgInit === 'cam') {
      // The paper's order: a trained classifier first; both methods then get the same extra epochs from it.
      const base = await trainAndEval(`CAM (${o.initEpochs} epochs, the start)`, seed, train('cam', seed, o.initEpochs, { learningRate: o.initLr }));
      for (const method of o.methods) await trainAndEval(`${method.toUpperCase()} (+${o.epochs} from it)`, seed, train(method, seed, o.epochs, { initFromModelId: base }));
      continue;
    }
    for (const method of o.methods) await trainAndEval(method.toUpperCase(), seed, train(method, seed, o.epochs));
  }
  const means = meanRows([...rows, ...baselines]);
  console.error(markdown(means));
  const { help: _h, setOnly: _s, fashion: _f, cifar: _c, workspace: _w, ...settings } = o;
  console.log(JSON.stringify({ backend: engine.backend, ...settings, generateSeconds: gen.seconds, rows, baselines, means }, null, 1));
} finally {
  ws.close();
  if (!own) rmSync(dir, { recursive: true, force: true });
}
