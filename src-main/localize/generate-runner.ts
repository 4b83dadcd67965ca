import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { LocalizeGenerateParams } from '../common/contract/localize.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import type { DatasetReader } from '../datasets/reader.ts';
import { BlobWriter } from '../datasets/formats/blob-writer.ts';
import type { IndexedSample } from '../datasets/formats/types.ts';
import { Rng, shuffled } from '../common/random.ts';
import { composeSample, type GrayImage } from './generate.ts';

export interface GenerateResult {
  name: string;
  objectDatasetId: number;
  backgroundDatasetId: number | null;
  /** Workspace-relative folder of images.u8 and masks/images.u8 (removed if committing fails). */
  blobDir: string;
  blob: { path: string; n: number; h: number; w: number; c: number };
  masks: { path: string; n: number; h: number; w: number; c: number };
  indexFile: string;
  classes: string[];
  splits: Record<string, number>;
  params: LocalizeGenerateParams;
}

async function grayImages(reader: DatasetReader, indices: number[]): Promise<GrayImage[]> {
  const px = await reader.read(indices);
  const size = reader.width * reader.height;
  return indices.map((_, k) => ({ data: px.slice(k * size, (k + 1) * size), width: reader.width, height: reader.height }));
}

/**
 * The `localize.generate` job: objects from the object dataset's samples (a
 * seeded shuffle, disjoint between splits), fragments from other samples,
 * backgrounds from the background dataset; pixels go to a uint8 blob written as
 * .part and renamed when complete, the sample index to an NDJSON file the writer
 * inserts. Nothing touches the database here.
 */
export default async function run(ctx: JobRunContext<LocalizeGenerateParams>): Promise<GenerateResult> {
  const p = ctx.params;
  const db = ctx.readDb();
  const objects = await openDatasetReader(db, p.objectDatasetId, { channels: 1 });
  const background = p.recipe === 'textured' && p.backgroundDatasetId !== undefined ? await openDatasetReader(db, p.backgroundDatasetId, { channels: 1, size: [p.canvas, p.canvas] }) : null;
  if (p.recipe === 'textured' && !background) throw new Error('backgroundDatasetId: the textured recipe needs a background dataset.');
  const labeled: number[] = [];
  for (let i = 0; i < objects.count; i++) if (objects.labels[i]! >= 0) labeled.push(i);
  const wanted = p.train + p.val + p.test;
  if (labeled.length < wanted) throw new Error(`objectDatasetId: dataset ${p.objectDatasetId} has ${labeled.length} labeled images, the set needs ${wanted} (train + val + test).`);
  const rng = new Rng(p.seed);
  const order = shuffled(labeled.length, rng.fn()).map((k) => labeled[k]!);
  const source = (ctx.readDb().prepare('SELECT name FROM datasets WHERE id = ?').get(p.objectDatasetId) as { name: string }).name;
  const name = p.name ?? `${p.recipe} localization set from ${source} (${p.canvas}px, seed ${p.seed})`;

  const rel = path.join('artifacts', 'datasets', `job-${ctx.jobId}`);
  const dir = path.join(ctx.workspaceDir, rel);
  const images = new BlobWriter(dir, p.canvas, p.canvas, 1);
  const masks = new BlobWriter(path.join(dir, 'masks'), p.canvas, p.canvas, 1);
  const samples: IndexedSample[] = [];
  const splits: Record<string, number> = {};
  const plan: { split: string; n: number }[] = [
    { split: 'train', n: p.train },
    { split: 'val', n: p.val },
    { split: 'test', n: p.test },
  ];
  try {
    let next = 0;
    const batch = 64;
    for (const { split, n } of plan) {
      splits[split] = n;
      for (let start = 0; start < n; start += batch) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const idx = order.slice(next + start, next + Math.min(start + batch, n));
        const objs = await grayImages(objects, idx);
        const frags = await grayImages(objects, Array.from({ length: Math.max(1, p.fragments) }, () => order[rng.int(0, order.length - 1)]!));
        const bgs = background ? await grayImages(background, idx.map(() => rng.int(0, background.count - 1))) : null;
        idx.forEach((objectIndex, k) => {
          const c = composeSample(objs[k]!, frags, bgs ? bgs[k]! : null, rng, { ...p, objectThreshold: 10 });
          const blobIndex = images.n;
          images.add(c.image);
          masks.add(c.mask);
          const meta = objects.meta(objectIndex);
          samples.push({
            path: `${split}/${String(blobIndex).padStart(6, '0')}`,
            split,
            label: objects.labels[objectIndex]!,
            width: p.canvas,
            height: p.canvas,
            channels: 1,
            sizeBytes: p.canvas * p.canvas,
            mtimeMs: null,
            boxes: [c.box],
            extra: { blobIndex, sourceSampleId: meta.sampleId, scale: Number(c.scale.toFixed(4)) },
          });
        });
        ctx.progress({ step: `${split} ${Math.min(start + batch, n)}/${n}`, fraction: samples.length / wanted });
        await new Promise((resolve) => setImmediate(resolve));
      }
      next += n;
    }
    const blob = images.finish();
    const maskBlob = masks.finish();
    mkdirSync(ctx.jobDir, { recursive: true });
    const indexFile = path.join(ctx.jobDir, 'samples.ndjson');
    writeFileSync(indexFile, samples.map((s) => JSON.stringify(s)).join('\n'));
    ctx.log(`${samples.length} images (${Object.entries(splits).map(([k, v]) => `${k} ${v}`).join(', ')}), ${p.recipe}, ${p.canvas}x${p.canvas}.`);
    return {
      name,
      objectDatasetId: p.objectDatasetId,
      backgroundDatasetId: background ? p.backgroundDatasetId! : null,
      blobDir: rel,
      blob: { path: path.relative(ctx.workspaceDir, blob.file), n: blob.n, h: blob.h, w: blob.w, c: blob.c },
      masks: { path: path.relative(ctx.workspaceDir, maskBlob.file), n: maskBlob.n, h: maskBlob.h, w: maskBlob.w, c: maskBlob.c },
      indexFile,
      classes: objects.classNames,
      splits,
      params: p,
    };
  } catch (err) {
    images.abort();
    masks.abort();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
