/**
 * Smoke benchmark of the SPGAN + re-ID pipeline on the real sample crops in
 * ../shared/data/reid-samples (never needed by `npm test`). Drives the real CLI
 * (job processes, workspace database), Duke -> Market as in the paper's table:
 *   1. import DukeMTMC-reID crops (source, split train) and Market-1501 crops
 *      laid out as query (one image of each person seen twice) + gallery (rest);
 *   2. `spgan train` a tiny SPGAN at 64x32 for a few epochs, time per epoch;
 *   3. `spgan translate` the Duke crops into the Market style;
 *   4. `reid train` a small IDE ResNet-18 on raw Duke and on translated Duke;
 *   5. `reid eval` both on the Market query/gallery split (CMC, mAP).
 * SMOKE NUMBERS: 20 source images and 3 queries say nothing about accuracy.
 *
 *   npm run bench:spgan [-- --data DIR --epochs N --backend NAME --keep]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const dataDir = path.resolve(opt('data', path.join(repo, '..', 'shared', 'data', 'reid-samples')));
const epochs = Number(opt('epochs', '2'));
const backend = opt('backend', 'auto');
const keep = args.includes('--keep');

if (!existsSync(path.join(dataDir, 'market1501')) || !existsSync(path.join(dataDir, 'dukemtmc'))) {
  console.error(`bench:spgan: the sample crops are missing: expected ${dataDir}/market1501 and ${dataDir}/dukemtmc (pass --data DIR).`);
  process.exit(1);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-bench-spgan-'));
const ws = path.join(tmp, 'workspace');

function cli(...argv: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [path.join(repo, 'resources/bin/workbench.mjs'), '--workspace', ws, '--json', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as Record<string, unknown>;
}

function timed<T>(label: string, fn: () => T): { value: T; seconds: number } {
  const t0 = Date.now();
  const value = fn();
  const seconds = (Date.now() - t0) / 1000;
  console.error(`${label}: ${seconds.toFixed(1)} s`);
  return { value, seconds };
}

try {
  // Market-1501 layout: the persons with two crops give one query each, everything else is gallery.
  const market = path.join(tmp, 'market1501');
  const byPerson = new Map<string, string[]>();
  for (const f of readdirSync(path.join(dataDir, 'market1501')).filter((n) => n.endsWith('.jpg')).sort()) {
    const id = f.slice(0, 4);
    byPerson.set(id, [...(byPerson.get(id) ?? []), f]);
  }
  mkdirSync(path.join(market, 'query'), { recursive: true });
  mkdirSync(path.join(market, 'bounding_box_test'), { recursive: true });
  for (const files of byPerson.values()) {
    files.forEach((f, i) => copyFileSync(path.join(dataDir, 'market1501', f), path.join(market, files.length > 1 && i === 0 ? 'query' : 'bounding_box_test', f)));
  }
  const duke = path.join(tmp, 'dukemtmc');
  mkdirSync(path.join(duke, 'bounding_box_train'), { recursive: true });
  for (const f of readdirSync(path.join(dataDir, 'dukemtmc')).filter((n) => n.endsWith('.jpg'))) copyFileSync(path.join(dataDir, 'dukemtmc', f), path.join(duke, 'bounding_box_train', f));

  const dukeId = cli('datasets', 'import', duke, '--format', 'dukemtmc').datasetId as number;
  const marketId = cli('datasets', 'import', market, '--format', 'market1501').datasetId as number;

  const spganConfig = {
    sourceDatasetId: dukeId,
    targetDatasetId: marketId,
    imageSize: [64, 32],
    residualBlocks: 2,
    generatorWidth: 16,
    discriminatorWidth: 16,
    discriminatorLayers: 3,
    siameseWidth: 16,
    epochs,
    batchSize: 4,
    sampleCount: 4,
  };
  writeFileSync(path.join(tmp, 'spgan.json'), JSON.stringify(spganConfig));
  const train = timed('spgan train', () => cli('spgan', 'train', '--config', path.join(tmp, 'spgan.json'), '--backend', backend));
  const runId = train.value.jobId as number;
  const translate = timed('spgan translate', () => cli('spgan', 'translate', '--run', String(runId), '--dataset', String(dukeId), '--backend', backend));
  const translatedId = (translate.value.dataset as { datasetId: number }).datasetId;

  const ide = (datasetId: number, name: string): { modelId: number; seconds: number } => {
    const config = { datasetId, name, arch: 'resnet18', imageSize: [64, 32], width: 16, epochs: 3, batchSize: 10, learningRate: 0.01 };
    writeFileSync(path.join(tmp, `${name}.json`), JSON.stringify(config));
    const r = timed(`reid train ${name}`, () => cli('reid', 'train', '--config', path.join(tmp, `${name}.json`), '--backend', backend));
    return { modelId: r.value.modelId as number, seconds: r.seconds };
  };
  const direct = ide(dukeId, 'direct-transfer');
  const viaSpgan = ide(translatedId, 'spgan-translated');
  const evalOf = (modelId: number) => timed(`reid eval ${modelId}`, () => cli('reid', 'eval', '--model', String(modelId), '--query', String(marketId), '--gallery', String(marketId), '--backend', backend));
  const e1 = evalOf(direct.modelId);
  const e2 = evalOf(viaSpgan.modelId);

  const pick = (m: Record<string, unknown>) => ({ rank1: m.rank1, rank5: m.rank5, mAP: m.mAP, queries: m.queries, gallery: m.gallery });
  const report = {
    note: 'SMOKE NUMBERS on 20 Duke / 61 Market sample crops: timing evidence, not a reproduction of the paper.',
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}`,
    date: new Date().toISOString(),
    backendRequested: backend,
    spgan: { config: spganConfig, backend: train.value.backend, secondsPerEpoch: train.value.secondsPerEpoch, lastLosses: train.value.lastLosses, wallSeconds: train.seconds },
    translate: { images: (translate.value.dataset as { samples: number }).samples, wallSeconds: translate.seconds },
    ide: { direct: { ...direct, eval: pick(e1.value) }, spgan: { ...viaSpgan, eval: pick(e2.value) } },
    evalWallSeconds: [e1.seconds, e2.seconds],
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  if (keep) console.error(`workspace kept at ${ws}`);
  else rmSync(tmp, { recursive: true, force: true });
}
