/**
 * `npm run bench:prune-torch`, part 1: the workbench side of the faithfulness
 * check against an independent PyTorch implementation
 * (resources/bench/pytorch_sfp.py). Runs baseline / SFP / PSFP with the real
 * `train` job runner WITHOUT random augmentation (normalize only), so both
 * sides see the same images, and exports, per seed, the exact training and test
 * subsets the runner chose (raw uint8 pixels + labels) for the Python side.
 * Prints one JSON line per run: accuracies after mask / after BN re-estimation,
 * zeroed filters kept from one mask to the next, and filter norm growth.
 *
 * Options: --epochs N (4) --limit N (2500, 10% held out) --test-limit N (2000)
 *          --batch N (64) --seeds 1,2 --methods baseline,sfp,psfp --out DIR
 *          --workspace DIR (reused when it already holds the dataset)
 */
import { mkdirSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Workspace } from '../../core/workspace.ts';
import { initEngine } from '../../engine/init.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import { trainJob } from '../../train/jobs.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import { openRunData } from '../../train/data.ts';
import { trainConfigSchema, type TrainConfigInput, type TrainResult } from '../../common/contract/train.ts';
import type { FilterRecordFile } from '../../train/filter-history.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '4' },
    limit: { type: 'string', default: '2500' },
    'test-limit': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '64' },
    seeds: { type: 'string', default: '1,2' },
    methods: { type: 'string', default: 'baseline,sfp,psfp' },
    out: { type: 'string', default: path.join(os.tmpdir(), 'wb-prune-torch-check') },
    workspace: { type: 'string', default: path.join(os.tmpdir(), 'wb-prune-torch-ws') },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  },
});
const log = (line: string): void => console.error(line);

/** Same normalisation as bench:prune, no random transforms (the Python side applies the same). */
const MEAN = 0.286;
const STD = 0.353;

function config(datasetId: number, seed: number, method: string): TrainConfigInput {
  return {
    dataset: { id: datasetId, limit: Number(values.limit), testLimit: Number(values['test-limit']), validationFraction: 0.1 },
    model: { arch: 'resnet20' },
    epochs: Number(values.epochs),
    batchSize: Number(values.batch),
    optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    schedule: { kind: 'cosine', minLr: 0 },
    augment: { spec: { steps: [{ transform: 'normalize', options: { mean: [MEAN], std: [STD], scale: 255 } }] } },
    ...(method === 'baseline' ? {} : { prune: { method: method as 'sfp' | 'psfp', rate: 0.3, bnRecalibrationBatches: 8 } }),
    seed,
  };
}

/** Writes the subsets the runner picks for this seed: <out>/subset-seed<S>.json + .bin (train pixels, then test pixels). */
async function exportSubset(ws: Workspace, datasetId: number, seed: number): Promise<void> {
  const cfg = trainConfigSchema.parse(config(datasetId, seed, 'baseline'));
  const data = await openRunData(ws.db, cfg);
  const train = await data.train.read(data.trainIdx);
  const test = await data.test!.read(data.testIdx);
  const file = path.join(values.out, `subset-seed${seed}`);
  writeFileSync(`${file}.bin`, Buffer.concat([Buffer.from(train.buffer, train.byteOffset, train.byteLength), Buffer.from(test.buffer, test.byteOffset, test.byteLength)]));
  writeFileSync(
    `${file}.json`,
    JSON.stringify({
      height: data.height,
      width: data.width,
      channels: data.channels,
      mean: MEAN,
      std: STD,
      trainCount: data.trainIdx.length,
      testCount: data.testIdx.length,
      trainLabels: Array.from(data.trainIdx, (i) => data.train.labels[i]!),
      testLabels: Array.from(data.testIdx, (i) => data.test!.labels[i]!),
    }),
  );
}

/** Zeroed filters kept from one mask to the next, and the max / median filter norm seen by each mask. */
function maskStats(jobDir: string): { kept: number[]; zeroed: number[]; maxNorm: number[]; medianNorm: number[] } {
  const dir = path.join(jobDir, 'prune');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const recs = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as FilterRecordFile);
  const sets = recs.map((r) => new Set(r.layers.flatMap((l) => l.zeroed.map((j) => `${l.name}:${j}`))));
  const kept = sets.slice(1).map((s, i) => [...s].filter((k) => sets[i]!.has(k)).length);
  const norms = recs.map((r) => r.layers.flatMap((l) => l.norms).sort((a, b) => a - b));
  return { kept, zeroed: sets.map((s) => s.size), maxNorm: norms.map((n) => n[n.length - 1]!), medianNorm: norms.map((n) => n[n.length >> 1]!) };
}

async function main(): Promise<void> {
  const engine = await initEngine();
  log(`engine: ${engine.backend} (${engine.device}, ${engine.threads} threads)`);
  mkdirSync(values.out, { recursive: true });
  const ws = Workspace.open(values.workspace);
  let row = ws.db.prepare('SELECT id FROM datasets ORDER BY id DESC LIMIT 1').get() as { id: number } | undefined;
  if (!row) {
    if (!existsSync(values.data)) throw new Error(`${values.data} not found (install the dataset-fashion-mnist package or pass --data).`);
    const imported = await runJobInProcess(ws, datasetImportJob, { path: values.data, format: 'auto', name: path.basename(values.data), allowDuplicate: true });
    if (imported.status !== 'succeeded') throw new Error(`import failed: ${imported.error}`);
    row = ws.db.prepare('SELECT id FROM datasets ORDER BY id DESC LIMIT 1').get() as { id: number };
  }
  for (const seed of values.seeds.split(',').map(Number)) {
    await exportSubset(ws, row.id, seed);
    for (const method of values.methods.split(',')) {
      const started = Date.now();
      const out = await runJobInProcess(ws, trainJob, config(row.id, seed, method), { log: (l) => log(`[${method} seed ${seed}] ${l}`) });
      if (out.status !== 'succeeded') throw new Error(`${method} seed ${seed}: ${out.error}`);
      const r = out.result as TrainResult;
      const stats = method === 'baseline' ? null : maskStats(ws.jobDir(out.jobId));
      console.log(JSON.stringify({ side: 'workbench', method, seed, testAcc: r.metrics.testAccuracy, testAccBn: r.metrics.accuracyBnRecalibrated, ...stats, seconds: Math.round((Date.now() - started) / 1000) }));
    }
  }
  ws.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
