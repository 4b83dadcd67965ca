import { insertJob } from '../../core/jobs/job-store.ts';
import { jobKinds } from '../../common/contract/kinds.ts';
/**
 * `npm run bench:datasets`: import and browse speed, reader throughput and the
 * augmentation pipeline's cost per batch. Prints a Markdown table for
 * BENCHMARKS.md and writes out/bench/datasets-bench.json.
 *
 * Options: --files N (size of the generated class-folder tree, default 100000),
 * --fashion DIR (default /usr/share/datasets/fashion-mnist).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Workspace } from '../../core/workspace.ts';
import runImport from '../../datasets/import-runner.ts';
import { datasetImportJob } from '../../datasets/jobs.ts';
import type { DatasetImportParams } from '../../common/contract/datasets.ts';
import { datasetImportParams } from '../../common/contract/datasets.ts';
import type { JobRunContext } from '../../core/jobs/spec.ts';
import { samplePage, datasetStats } from '../../datasets/queries.ts';
import { openDatasetReader } from '../../datasets/reader.ts';
import { thumbnailFor } from '../../datasets/thumbs.ts';
import { applyPipeline, batchSeeds, resolvePipeline } from '../../augment/pipeline.ts';
import { argValue as arg } from '../argv.ts';

const rows: { what: string; value: string; detail: string }[] = [];
const record = (what: string, value: string, detail = ''): void => {
  rows.push({ what, value, detail });
  process.stderr.write(`${what}: ${value} ${detail}\n`);
};

async function importTimed(ws: Workspace, p: string): Promise<{ id: number; runMs: number; commitMs: number; samples: number }> {
  const params = datasetImportParams.parse({ path: p, allowDuplicate: true });
  const jobId = insertJob(ws.db, { kind: jobKinds.datasetsImport, title: 'bench', params, status: 'running' });
  const jobDir = ws.jobDir(jobId);
  mkdirSync(jobDir, { recursive: true });
  const ctx: JobRunContext<DatasetImportParams> = {
    jobId,
    params,
    workspaceDir: ws.dir,
    jobDir,
    signal: new AbortController().signal,
    resume: null,
    progress: () => {},
    log: () => {},
    metrics: () => {},
    record: () => Promise.resolve(undefined),
    readDb: () => ws.db,
  };
  const t0 = performance.now();
  const result = await runImport(ctx);
  const t1 = performance.now();
  ws.transaction(() => datasetImportJob.onComplete!({ ws, jobId, jobDir }, result));
  const t2 = performance.now();
  return { id: result.report.datasetId!, runMs: t1 - t0, commitMs: t2 - t1, samples: result.report.counts.samples };
}

function timeMs(fn: () => void, reps: number): number {
  const t = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t) / reps;
}

/** Wall and CPU milliseconds per call: on a shared, busy machine the CPU time is the steadier number. */
function timeWallCpu(fn: () => void, reps: number): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const wall = timeMs(fn, reps);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / reps };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-bench-ds-'));
  const ws = Workspace.open(path.join(tmp, 'ws'));
  try {
    // 1. Fashion-MNIST: gzipped IDX decoded into one blob.
    const fashion = arg('fashion', '/usr/share/datasets/fashion-mnist');
    let fashionId: number | null = null;
    if (existsSync(fashion)) {
      const r = await importTimed(ws, fashion);
      fashionId = r.id;
      record('Import Fashion-MNIST (IDX .gz, decode to blob)', `${((r.runMs + r.commitMs) / 1000).toFixed(2)} s`, `${r.samples} images; decode ${(r.runMs / 1000).toFixed(2)} s + commit ${(r.commitMs / 1000).toFixed(2)} s`);
    } else {
      record('Import Fashion-MNIST', 'skipped', `${fashion} missing (apt-get install dataset-fashion-mnist)`);
    }

    // 2. A generated class-folder tree of tiny JPEGs: indexing reads headers only.
    const files = Number(arg('files', '100000'));
    const classes = 100;
    const tree = path.join(tmp, 'tree');
    const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 90, g: 120, b: 200 } } }).jpeg().toBuffer();
    const tg = performance.now();
    for (let c = 0; c < classes; c++) {
      const dir = path.join(tree, `class_${String(c).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < files / classes; i++) writeFileSync(path.join(dir, `${String(i).padStart(6, '0')}.jpg`), jpeg);
    }
    process.stderr.write(`generated ${files} files in ${((performance.now() - tg) / 1000).toFixed(1)} s\n`);
    const cpu0 = process.cpuUsage();
    const r = await importTimed(ws, tree);
    const cpu = process.cpuUsage(cpu0);
    record(`Index ${files.toLocaleString('en')}-file class-folder tree`, `${((r.runMs + r.commitMs) / 1000).toFixed(2)} s`, `walk + headers ${(r.runMs / 1000).toFixed(2)} s (${Math.round(files / (r.runMs / 1000))} files/s) + commit ${(r.commitMs / 1000).toFixed(2)} s; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);

    // 3. Browsing the big dataset: a page, a deep page, a class filter, a name search, statistics.
    const page = (f: Parameters<typeof samplePage>[1], offset: number): number => timeMs(() => samplePage(ws.db, f, offset, 200), 5);
    record('Sample page 200 @ offset 0', `${page({ datasetId: r.id }, 0).toFixed(1)} ms`);
    record('Sample page 200 @ offset 90,000', `${page({ datasetId: r.id }, 90000 * (files / 100000)).toFixed(1)} ms`);
    record('Sample page, class filter', `${page({ datasetId: r.id, label: 42 }, 500).toFixed(1)} ms`);
    record('Sample page, file-name search', `${page({ datasetId: r.id, search: '0999' }, 0).toFixed(1)} ms`);
    record('Statistics', `${timeMs(() => datasetStats(ws.db, r.id), 3).toFixed(1)} ms`);
    const first = (ws.db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(r.id) as { m: number }).m;
    const tt = performance.now();
    for (let i = 0; i < 100; i++) await thumbnailFor(ws, first + i, 96);
    record('Thumbnails (first request, sharp + cache write)', `${((performance.now() - tt) / 100).toFixed(2)} ms each`);

    // 4. Reader: decoded blob vs image files.
    if (fashionId !== null) {
      const reader = await openDatasetReader(ws.db, fashionId, { split: 'train' });
      const idx = Array.from({ length: 128 }, (_, i) => (i * 7919) % reader.count);
      await reader.read(idx);
      const t = performance.now();
      for (let k = 0; k < 20; k++) await reader.read(idx.map((i) => (i + k) % reader.count));
      record('Reader, Fashion-MNIST blob, batch 128', `${((performance.now() - t) / 20).toFixed(2)} ms`);
    }
    const fileReader = await openDatasetReader(ws.db, r.id, { cacheBytes: 0 });
    const idx = Array.from({ length: 128 }, (_, i) => (i * 7919) % fileReader.count);
    const tf = performance.now();
    await fileReader.read(idx);
    record('Reader, JPEG files (sharp decode, uncached), batch 128', `${(performance.now() - tf).toFixed(1)} ms`);

    // 5. Augmentation: the CIFAR recipe + Random Erasing, and PatchShuffle, on 128 x 32x32x3.
    const batch = { data: new Float32Array(128 * 32 * 32 * 3).map((_, i) => (i * 31) % 256), n: 128, h: 32, w: 32, c: 3 };
    const seeds = batchSeeds(1, 0, Array.from({ length: 128 }, (_, i) => i));
    for (const [name, spec] of [
      ['padCrop + flip + normalize + Random Erasing (p=0.5)', { steps: [{ transform: 'padCrop', options: { preset: 'cifar' } }, { transform: 'horizontalFlip' }, { transform: 'normalize' }, { transform: 'randomErasing' }] }],
      ['... same with Random Erasing p=1', { steps: [{ transform: 'padCrop', options: { preset: 'cifar' } }, { transform: 'horizontalFlip' }, { transform: 'normalize' }, { transform: 'randomErasing', options: { p: 1 } }] }],
      ['PatchShuffle n=2 p=1', { steps: [{ transform: 'patchShuffle', options: { p: 1 } }] }],
      ['randomResizedCrop to 32x32', { steps: [{ transform: 'randomResizedCrop', options: { size: [32, 32] } }] }],
    ] as const) {
      const pipeline = resolvePipeline(spec);
      for (let i = 0; i < 10; i++) applyPipeline(pipeline, batch, seeds);
      const t = timeWallCpu(() => applyPipeline(pipeline, batch, seeds), 50);
      record(`Augment batch 128x32x32x3: ${name}`, `${t.wall.toFixed(2)} ms`, `CPU ${t.cpu.toFixed(2)} ms`);
    }
  } finally {
    ws.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const out = path.resolve('out/bench');
  mkdirSync(out, { recursive: true });
  const meta = { date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(path.join(out, 'datasets-bench.json'), JSON.stringify({ ...meta, rows }, null, 2));
  process.stdout.write(`Machine: ${meta.cpus} cores (${meta.cpu}), Node ${meta.node}, ${meta.date}\n\n| measurement | result | detail |\n|---|---|---|\n`);
  for (const row of rows) process.stdout.write(`| ${row.what} | ${row.value} | ${row.detail} |\n`);
}

await main();
