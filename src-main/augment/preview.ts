import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import type { PipelineSpec, PreviewItem, PreviewResult } from '../common/contract/augment.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { Rng } from '../common/random.ts';
import { applyToImage, lastNormalize, resolvePipeline, sampleSeed } from './pipeline.ts';
import { encodePng, pngDataUrl } from './png.ts';

export interface PreviewOptions {
  datasetId: number;
  sampleIds?: number[] | undefined;
  count: number;
  split?: string | undefined;
  pipeline: PipelineSpec;
  seed: number;
  /** Seed of the choice of images (default: `seed`). */
  imageSeed?: number | undefined;
  epoch: number;
  size?: [number, number] | undefined;
}

/** The most common stored image size of a dataset, [h, w] (for datasets whose images differ in size). */
function commonSize(db: Database.Database, datasetId: number): [number, number] | null {
  const row = db
    .prepare('SELECT height, width, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND height IS NOT NULL GROUP BY height, width ORDER BY n DESC LIMIT 1')
    .get(datasetId) as { height: number; width: number } | undefined;
  return row ? [row.height, row.width] : null;
}

/** A preview item with raw PNG bytes (the CLI writes them; the API turns them into data URLs). */
export interface PreviewImages extends Omit<PreviewItem, 'original' | 'augmented'> {
  originalPng: Buffer;
  augmentedPng: Buffer;
}

/**
 * Runs a pipeline on a few samples exactly as the training loader does: reader
 * pixels as 0..255 floats, seed = sampleSeed(seed, epoch, index in the split's reader).
 */
export async function renderPreview(db: Database.Database, o: PreviewOptions): Promise<Omit<PreviewResult, 'items'> & { items: PreviewImages[] }> {
  const pipeline = resolvePipeline(o.pipeline);
  const exists = db.prepare('SELECT id FROM datasets WHERE id = ?').get(o.datasetId);
  if (!exists) throw new ApiError('not_found', `Dataset ${o.datasetId} does not exist.`, 'datasetId');
  // Seeds use the index in the split's reader, as training does: default to 'train' when the
  // dataset has one and every chosen sample is in it; otherwise index the whole dataset.
  let split: string | null = o.split ?? null;
  if (o.split === undefined) {
    const hasTrain = db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'train' LIMIT 1").get(o.datasetId);
    const allTrain =
      !o.sampleIds ||
      o.sampleIds.every((id) => (db.prepare('SELECT split FROM samples WHERE id = ? AND dataset_id = ?').get(id, o.datasetId) as { split: string | null } | undefined)?.split === 'train');
    split = hasTrain && allTrain ? 'train' : null;
  }
  const size = o.size ?? commonSize(db, o.datasetId) ?? undefined;
  const reader = await openDatasetReader(db, o.datasetId, { ...(split !== null ? { split } : {}), ...(size ? { size } : {}) });
  let indices: number[];
  if (o.sampleIds) {
    const pos = new Map(reader.sampleIds.map((id, i) => [id, i]));
    indices = o.sampleIds.map((id, k) => {
      const i = pos.get(id);
      if (i === undefined) throw new ApiError('not_found', `Sample ${id} is not in dataset ${o.datasetId}${split ? ` split ${split}` : ''}.`, `sampleIds.${k}`);
      return i;
    });
  } else {
    const rng = new Rng((o.imageSeed ?? o.seed) ^ 0x5bd1e995);
    const count = Math.min(o.count, reader.count);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(rng.int(0, reader.count - 1));
    indices = [...chosen];
  }
  const { height: h, width: w, channels: c } = reader;
  const pixels = await reader.read(indices);
  const norm = lastNormalize(pipeline);
  const items: PreviewImages[] = [];
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const original = pixels.subarray(k * h * w * c, (k + 1) * h * w * c);
    const input = Float32Array.from(original);
    const seed = sampleSeed(o.seed, o.epoch, i);
    const { image, params } = applyPipelineToPreview(pipeline, { data: input, h, w, c }, seed);
    const shown = norm ? denormalize(image.data, image.c, norm) : image.data;
    const meta = reader.meta(i);
    items.push({
      sampleId: meta.sampleId,
      path: meta.path,
      label: reader.labels[i]! >= 0 ? reader.labels[i]! : null,
      className: reader.labels[i]! >= 0 ? (reader.classNames[reader.labels[i]!] ?? null) : null,
      width: image.w,
      height: image.h,
      params,
      originalPng: await encodePng(original, h, w, c),
      augmentedPng: await encodePng(shown, image.h, image.w, image.c),
    });
  }
  return { datasetId: o.datasetId, seed: o.seed, epoch: o.epoch, split, inputSize: [h, w], display: norm ? 'inverse-normalize' : 'clamp', items };
}

/**
 * One image through the pipeline; a step that cannot take this dataset's images
 * (e.g. normalize with 3 means on 1-channel images) is the pipeline's fault, so
 * the user sees it on the pipeline field, not as an internal failure.
 */
function applyPipelineToPreview(...args: Parameters<typeof applyToImage>): ReturnType<typeof applyToImage> {
  try {
    return applyToImage(...args);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('invalid_request', `pipeline: ${(err as Error).message}`, 'pipeline');
  }
}

/** Maps normalised values back to 0..255 for display (the inverse of the last normalize step). */
function denormalize(data: Float32Array, c: number, n: { mean: number[]; std: number[]; scale: number }): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += c) {
    for (let ch = 0; ch < c; ch++) {
      const mean = n.mean.length === 1 ? n.mean[0]! : n.mean[ch]!;
      const std = n.std.length === 1 ? n.std[0]! : n.std[ch]!;
      out[i + ch] = (data[i + ch]! * std + mean) * n.scale;
    }
  }
  return out;
}

export async function previewResult(db: Database.Database, o: PreviewOptions): Promise<PreviewResult> {
  const r = await renderPreview(db, o);
  return {
    ...r,
    items: r.items.map(({ originalPng, augmentedPng, ...rest }) => ({ ...rest, original: pngDataUrl(originalPng), augmented: pngDataUrl(augmentedPng) })),
  };
}
