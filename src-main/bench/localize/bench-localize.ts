/**
 * CAM vs SPG vs the no-learning baselines on a generated localization set from
 * real images: Fashion-MNIST objects (IDX, `/usr/share/datasets/fashion-mnist`,
 * Debian's dataset-fashion-mnist) pasted on gray CIFAR-10 test images
 * (`../shared/data/cifar10-test`), 64x64, the `textured` recipe. Both methods
 * train the same backbone with the same schedule and seed; each is evaluated
 * on 'test' with MaxBoxAccV2 thresholds chosen on 'val'.
 *
 *   npm run bench:localize [-- --train 1500 --epochs 4 --width 0.5 --seed 1 --workspace DIR]
 *
 * Prints one JSON document with the table (fractions) and the settings.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../core/workspace.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import type { JobSpec } from '../../core/jobs/spec.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import { localizeGenerateJob, localizeTrainJob, localizeEvalJob } from '../../localize/jobs.ts';
import type { LocalizeEvalRow } from '../../common/contract/localize.ts';
import { startEngine } from '../../engine/start.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const fashion = opt('fashion', '/usr/share/datasets/fashion-mnist');
const cifar = opt('cifar', path.resolve(process.cwd(), '..', 'shared', 'data', 'cifar10-test'));
const train = Number(opt('train', '1500'));
const epochs = Number(opt('epochs', '4'));
const width = Number(opt('width', '0.5'));
const seed = Number(opt('seed', '1'));
const recipe = opt('recipe', 'textured');

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

const own = opt('workspace', '');
const dir = own || mkdtempSync(path.join(os.tmpdir(), 'wb-bench-localize-'));
const ws = Workspace.open(own ? own : path.join(dir, 'ws'));
try {
  const engine = await startEngine();
  const idOf = (jobId: number): number => (ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(jobId) as { id: number }).id;
  const objects = idOf((await run(ws, datasetImportJob, { path: fashion, format: 'idx', name: 'Fashion-MNIST', allowDuplicate: true })).jobId);
  const backgrounds = idOf((await run(ws, datasetImportJob, { path: cifar, format: 'imagefolder', name: 'CIFAR-10 test', allowDuplicate: true })).jobId);
  const gen = await run(ws, localizeGenerateJob, { objectDatasetId: objects, backgroundDatasetId: backgrounds, recipe, canvas: 64, train, val: 200, test: 500, seed });
  const set = idOf(gen.jobId);
  const rows: (LocalizeEvalRow & { trainSeconds?: number })[] = [];
  let baselines: LocalizeEvalRow[] = [];
  for (const method of ['cam', 'spg'] as const) {
    const t = await run(ws, localizeTrainJob, { datasetId: set, method, arch: 'resnet20', widthMultiplier: width, epochs, batchSize: 32, learningRate: 0.05, seed });
    const modelId = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(t.jobId) as { id: number }).id;
    const e = await run(ws, localizeEvalJob, { modelId, datasetId: set });
    rows.push({ ...e.result.rows[0]!, name: method.toUpperCase(), trainSeconds: t.seconds });
    baselines = e.result.rows.slice(1);
  }
  const table = [...rows, ...baselines];
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : (v * 100).toFixed(1));
  console.error(['| method | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP |', '|---|---|---|---|---|---|', ...table.map((r) => `| ${r.name} | ${pct(r.top1Cls)} | ${pct(r.top1Loc)} | ${pct(r.gtKnownLoc)} | ${pct(r.maxBoxAccV2)} | ${pct(r.pxap)} |`)].join('\n'));
  console.log(JSON.stringify({ backend: engine.backend, recipe, canvas: 64, train, val: 200, test: 500, arch: 'resnet20', widthMultiplier: width, epochs, seed, generateSeconds: gen.seconds, table }, null, 1));
} finally {
  ws.close();
  if (!own) rmSync(dir, { recursive: true, force: true });
}
