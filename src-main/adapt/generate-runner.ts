import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { AdaptGenerateParams } from '../common/contract/adapt.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { BlobWriter } from '../datasets/formats/blob-writer.ts';
import type { IndexedSample } from '../datasets/formats/types.ts';
import { blendMnistM, type ImageSet } from '../datasets/generate/blend.ts';
import { hashSeed, mulberry32, shuffled } from '../common/random.ts';

export interface AdaptGenerateResult {
  name: string;
  sourceDatasetId: number;
  patchDatasetId: number;
  /** Workspace-relative folder of images.u8 (removed if committing fails). */
  blobDir: string;
  blob: { path: string; n: number; h: number; w: number; c: number };
  indexFile: string;
  classes: string[];
  splits: Record<string, number>;
  params: AdaptGenerateParams;
}

/** Patch images held in memory at most (CIFAR-10's test set is 10,000): a seeded subset beyond it. */
const MAX_PATCHES = 10_000;
const CHUNK = 512;

/**
 * The `adapt.generate` job: every (or a seeded per-split subset of the)
 * labeled source image blended with a random crop of a random patch image
 * (`blendMnistM`), in the source's order within each split, so labels and
 * splits carry over; which patch and crop each image got is kept in its sample
 * row. Pixels go to a blob written as .part and renamed when complete; the
 * database is written by the job's onComplete.
 */
export default async function run(ctx: JobRunContext<AdaptGenerateParams>): Promise<AdaptGenerateResult> {
  const p = ctx.params;
  const db = ctx.readDb();
  const source = await openDatasetReader(db, p.sourceDatasetId, { channels: 1 });
  const patchReader = await openDatasetReader(db, p.patchDatasetId, { channels: 3 });
  if (patchReader.height < source.height || patchReader.width < source.width) {
    throw new Error(`patchDatasetId: patch images (${patchReader.height}x${patchReader.width}) are smaller than the source images (${source.height}x${source.width}).`);
  }
  const rng = mulberry32(p.seed);
  const patchIdx = shuffled(patchReader.count, rng).slice(0, MAX_PATCHES).sort((a, b) => a - b);
  const patches: ImageSet = {
    label: `dataset ${p.patchDatasetId}`,
    count: patchIdx.length,
    height: patchReader.height,
    width: patchReader.width,
    channels: 3,
    pixels: await patchReader.read(patchIdx),
  };
  // Labeled source images grouped by split, in import order; a seeded subset per split when limited.
  const bySplit = new Map<string, number[]>();
  for (let i = 0; i < source.count; i++) {
    if (source.labels[i]! < 0) continue;
    const split = source.meta(i).split ?? '';
    let list = bySplit.get(split);
    if (!list) bySplit.set(split, (list = []));
    list.push(i);
  }
  for (const [split, list] of bySplit) {
    if (p.limitPerSplit !== undefined && list.length > p.limitPerSplit) {
      bySplit.set(split, shuffled(list.length, rng).slice(0, p.limitPerSplit).sort((a, b) => a - b).map((k) => list[k]!));
    }
  }
  const total = [...bySplit.values()].reduce((a, l) => a + l.length, 0);
  if (total === 0) throw new Error(`sourceDatasetId: dataset ${p.sourceDatasetId} has no labeled images to blend.`);
  const sourceName = (db.prepare('SELECT name FROM datasets WHERE id = ?').get(p.sourceDatasetId) as { name: string }).name;
  const name = p.name ?? `${sourceName}-M (seed ${p.seed})`;

  const rel = path.join('artifacts', 'datasets', `job-${ctx.jobId}`);
  const dir = path.join(ctx.workspaceDir, rel);
  const images = new BlobWriter(dir, source.height, source.width, 3);
  const samples: IndexedSample[] = [];
  const splits: Record<string, number> = {};
  const size = source.height * source.width;
  try {
    let chunkNo = 0;
    for (const [split, list] of bySplit) {
      splits[split || '(none)'] = list.length;
      for (let start = 0; start < list.length; start += CHUNK) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const idx = list.slice(start, start + CHUNK);
        const gray = await source.read(idx);
        const blended = blendMnistM({ label: sourceName, count: idx.length, height: source.height, width: source.width, channels: 1, pixels: gray }, patches, hashSeed(p.seed, chunkNo++));
        idx.forEach((sourceIndex, k) => {
          const blobIndex = images.n;
          images.add(blended.images.pixels.subarray(k * size * 3, (k + 1) * size * 3));
          const draw = blended.draws[k]!;
          samples.push({
            path: `${split || 'all'}/${String(blobIndex).padStart(6, '0')}`,
            split: split || null,
            label: source.labels[sourceIndex]!,
            width: source.width,
            height: source.height,
            channels: 3,
            sizeBytes: size * 3,
            mtimeMs: null,
            extra: { blobIndex, sourceSampleId: source.meta(sourceIndex).sampleId, patchSampleId: patchReader.sampleIds[patchIdx[draw.patchIndex]!], crop: [draw.y, draw.x] },
          });
        });
        ctx.progress({ step: `${split || 'images'} ${Math.min(start + CHUNK, list.length)}/${list.length}`, fraction: samples.length / total });
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const blob = images.finish();
    mkdirSync(ctx.jobDir, { recursive: true });
    const indexFile = path.join(ctx.jobDir, 'samples.ndjson');
    writeFileSync(indexFile, samples.map((s) => JSON.stringify(s)).join('\n'));
    ctx.log(`${samples.length} blended images (${Object.entries(splits).map(([k, v]) => `${k} ${v}`).join(', ')}), ${source.height}x${source.width}x3, patches from ${patches.count} images.`);
    return {
      name,
      sourceDatasetId: p.sourceDatasetId,
      patchDatasetId: p.patchDatasetId,
      blobDir: rel,
      blob: { path: path.relative(ctx.workspaceDir, blob.file), n: blob.n, h: blob.h, w: blob.w, c: blob.c },
      indexFile,
      classes: source.classNames,
      splits,
      params: p,
    };
  } catch (err) {
    images.abort();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
