import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DatasetCounts, DatasetFormat, DatasetImportParams, ImportProblem, ImportReport } from '../common/contract/datasets.ts';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { datasetsAmongClasses, detectFormats, importers, unwrapRoot } from './formats/registry.ts';
import { dropDuplicateFiles, recordedRealPath } from './formats/files.ts';
import type { ImportContext, IndexedSample, ImportOutput } from './formats/types.ts';
import { emptyCounts } from './dataset-info.ts';
import { canonicalRoot } from './roots.ts';
import { readLimits } from '../core/settings.ts';

/** What the runner hands to the writer process (onComplete) besides the report. */
export interface ImportJobResult {
  report: ImportReport;
  /** Absolute path of the NDJSON sample index the writer inserts (one JSON object per line). */
  indexFile: string;
  classes: string[];
  /** Workspace-relative decoded blob, or null for image-file formats. */
  blob: { path: string; n: number; h: number; w: number; c: number } | null;
  /** Folder the import wrote decoded data into (removed by the writer if committing fails). */
  blobDir: string;
  extra: Record<string, unknown>;
  sizeBytes: number;
  imageSize: { width: number; height: number; channels: number } | null;
}

const maxProblemsInReport = 1000;

/** `zeroIsDistractor`: Market-1501 / DukeMTMC-reID use person 0000 for distractors; MSMT17's 0000 is a person. */
export function countSamples(samples: IndexedSample[], classes: number, zeroIsDistractor = true): DatasetCounts {
  const counts = emptyCounts();
  counts.samples = samples.length;
  counts.classes = classes;
  const persons = new Set<number>();
  const cameras = new Set<number>();
  for (const s of samples) {
    const split = s.split ?? 'none';
    counts.splits[split] = (counts.splits[split] ?? 0) + 1;
    if (s.personId !== undefined && s.personId !== null && s.personId >= (zeroIsDistractor ? 1 : 0)) persons.add(s.personId);
    if (s.camera !== undefined && s.camera !== null) cameras.add(s.camera);
    if (s.boxes && s.boxes.length > 0) counts.withBoxes++;
    if (s.domain) counts.domains[s.domain] = (counts.domains[s.domain] ?? 0) + 1;
  }
  counts.identities = persons.size;
  counts.cameras = cameras.size;
  return counts;
}

/** Picks the importer: the override, or the best detection (refusing when nothing fits). */
export function chooseFormat(root: string, requested: DatasetFormat | 'auto'): { format: DatasetFormat; source: 'detected' | 'override' } {
  if (requested !== 'auto') return { format: requested, source: 'override' };
  const found = detectFormats(root);
  if (found.length === 0) {
    throw new Error(`Cannot tell the format of ${root}: no known layout found (class folders, CIFAR .bin, IDX, Market-1501/DukeMTMC-reID names, domain folders, CUB-200-2011, boxes.txt). Pass a format explicitly.`);
  }
  return { format: found[0]!.format, source: 'detected' };
}

/**
 * The `dataset.import` job: indexes image files in place (headers only) or
 * decodes binary formats into one blob under artifacts/datasets/job-<id>/, then
 * writes the sample index for the writer process. Nothing here touches the
 * database; on failure or cancel the blob folder is removed.
 */
export default async function runImport(ctx: JobRunContext<DatasetImportParams>): Promise<ImportJobResult> {
  const started = Date.now();
  const chosen = canonicalRoot(ctx.params.path);
  let st;
  try {
    st = statSync(chosen);
  } catch {
    throw new Error(`${chosen} does not exist or cannot be read.`);
  }
  if (!st.isDirectory()) throw new Error(`${chosen} is a file; import the folder that holds the dataset.`);
  const root = unwrapRoot(chosen, ctx.params.format);
  if (root !== chosen) ctx.log(`Using ${root}: the dataset sits in the only folder of ${chosen}`);
  const { format, source } = chooseFormat(root, ctx.params.format);
  const importer = importers.get(format)!;
  ctx.log(`Importing ${root} as ${importer.title} (${source === 'detected' ? 'detected' : 'chosen'})`);

  const problems: ImportProblem[] = [];
  const warnings: string[] = [];
  let filesSeen = 0;
  const blobDir = path.join(ctx.workspaceDir, 'artifacts', 'datasets', `job-${ctx.jobId}`);
  let lastTick = Date.now();
  const ictx: ImportContext = {
    root,
    followLinksOut: ctx.params.followLinksOut,
    signal: ctx.signal,
    blobDir,
    limits: readLimits(ctx.readDb()),
    problem(file, code, message) {
      problems.push({ file, code, message });
    },
    warn(message) {
      warnings.push(message);
      ctx.log(message, 'warn');
    },
    async progress(done, total, step) {
      const elapsed = (Date.now() - started) / 1000;
      ctx.progress({
        fraction: total ? done / total : null,
        step,
        throughput: elapsed > 0 ? { value: Math.round(done / elapsed), unit: 'files/s' } : null,
        etaSeconds: total && done > 0 ? Math.round((elapsed / done) * (total - done)) : null,
      });
      // Yield now and then so the cancel message can arrive, then honour it.
      if (Date.now() - lastTick > 50) {
        lastTick = Date.now();
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (ctx.signal.aborted) throw new Error('Import cancelled.');
    },
    seen(n = 1) {
      filesSeen += n;
    },
  };

  let output: ImportOutput;
  try {
    output = await importer.run(ictx);
    if (ctx.signal.aborted) throw new Error('Import cancelled.');
    if (format === 'imagefolder') {
      const nested = datasetsAmongClasses(root, output.classes);
      if (nested.length > 0) {
        ictx.warn(`Some class folders are datasets of their own: ${nested.join(', ')}. If ${root} holds several datasets, import each from its own folder.`);
      }
    }
    // One file is one sample, whatever links lead to it; files read through links out keep their real path.
    output.samples = dropDuplicateFiles(ictx, output.samples);
    for (const s of output.samples) {
      const real = recordedRealPath(ictx, s.path);
      if (real) s.realPath = real;
    }
    if (output.samples.length === 0) throw new Error(`${root}: no usable samples found as ${importer.title}${problems.length ? ` (${problems.length} problems, first: ${problems[0]!.file}: ${problems[0]!.message})` : ''}.`);
  } catch (err) {
    rmSync(blobDir, { recursive: true, force: true });
    throw err;
  }

  const indexFile = path.join(ctx.jobDir, 'samples.ndjson');
  mkdirSync(ctx.jobDir, { recursive: true });
  writeFileSync(indexFile, output.samples.map((s) => JSON.stringify(s)).join('\n'));
  const durationMs = Date.now() - started;
  const first = output.samples[0]!;
  const sameSize = output.samples.every((s) => s.width === first.width && s.height === first.height);
  const sizeBytes = output.blob ? output.blob.n * output.blob.h * output.blob.w * output.blob.c : output.samples.reduce((a, s) => a + (s.sizeBytes ?? 0), 0);
  const report: ImportReport = {
    datasetId: null,
    name: ctx.params.name ?? path.basename(root),
    format,
    formatSource: source,
    rootPath: root,
    counts: countSamples(output.samples, output.classes.length, format !== 'msmt17'),
    filesSeen,
    problems: problems.slice(0, maxProblemsInReport),
    problemCount: problems.length,
    warnings,
    durationMs,
    samplesPerSecond: Math.round(output.samples.length / Math.max(durationMs / 1000, 1e-3)),
  };
  writeFileSync(path.join(ctx.jobDir, 'report.json'), JSON.stringify({ ...report, problems }, null, 1));
  ctx.progress({ fraction: 1, step: 'done', throughput: { value: report.samplesPerSecond, unit: 'samples/s' }, etaSeconds: 0 });
  ctx.log(`${output.samples.length} samples, ${problems.length} problems, ${(durationMs / 1000).toFixed(1)} s`);
  return {
    report,
    indexFile,
    classes: output.classes,
    blob: output.blob ? { path: path.relative(ctx.workspaceDir, output.blob.file), n: output.blob.n, h: output.blob.h, w: output.blob.w, c: output.blob.c } : null,
    blobDir,
    extra: output.extra,
    sizeBytes,
    imageSize: sameSize && first.width && first.height ? { width: first.width, height: first.height, channels: output.blob?.c ?? first.channels ?? 3 } : null,
  };
}
