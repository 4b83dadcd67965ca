/**
 * Data for a training run: the dataset reader, the seeded train/validation
 * split, the augmentation pipeline, and batches as float tensors. Every
 * random choice derives from (seed, epoch, sample index), so a resumed run
 * sees exactly the batches an uninterrupted one would.
 */
import type Database from 'better-sqlite3';
import { partCounts, partHasLabels } from '../datasets/splits.ts';
import { openDatasetReader, UndecodableImageError, type DatasetReader } from '../datasets/reader.ts';
import { applyPipeline, batchSeeds, lastNormalize, pipelineOutputShape, resolvePipeline, type ResolvedPipeline } from '../augment/pipeline.ts';
import { getPipeline } from '../augment/pipelines-store.ts';
import type { TrainConfig } from '../common/contract/train.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';

export interface RunData {
  train: DatasetReader;
  /** The reader `valIdx` indexes: the training reader (a held-out fraction) or a validation part's own. */
  val: DatasetReader;
  test: DatasetReader | null;
  /** Reader indices used for training and for validation. */
  trainIdx: Int32Array;
  valIdx: Int32Array;
  testIdx: Int32Array;
  pipeline: ResolvedPipeline | null;
  height: number;
  width: number;
  channels: 1 | 3;
  numClasses: number;
  classNames: string[];
  /**
   * Samples whose image cannot be decoded, by dataset path, with the reason:
   * left out of every batch they fall in (always the same ones, so a resumed
   * run sees the batches an uninterrupted one saw). Reported in the log and result.
   */
  skipped: Map<string, string>;
  /** Called once per newly skipped sample (the runner logs it). */
  onSkip?: (path: string, reason: string) => void;
}

export async function openRunData(db: Database.Database, cfg: TrainConfig): Promise<RunData> {
  const d = cfg.dataset;
  const opts: { size?: [number, number]; channels?: 1 | 3 } = {};
  if (d.inputSize) opts.size = d.inputSize;
  if (d.channels) opts.channels = d.channels;
  const named = d.split !== undefined ? { splitName: d.split } : {};
  const train = await openDatasetReader(db, d.id, { ...opts, ...named, split: d.trainSplit });
  if (train.numClasses < 2) throw new Error(`dataset.id: dataset ${d.id} has ${train.numClasses} class(es); classification needs at least 2.`);
  const labelled = Array.from(train.labels).filter((l) => l >= 0).length;
  if (labelled === 0) throw new Error(`dataset.id: dataset ${d.id} has no labels in split ${String(d.trainSplit)}.`);

  // Seeded choice of the samples used (limit) and of the validation part.
  const usable = Int32Array.from(Array.from({ length: train.count }, (_, i) => i).filter((i) => train.labels[i]! >= 0));
  const order = permutation(usable.length, mulberry32(hashSeed(cfg.seed, 0x5a11d)));
  let chosen = Int32Array.from(order, (i) => usable[i]!);
  if (d.limit !== undefined && d.limit < chosen.length) chosen = chosen.slice(0, d.limit);
  const valPart = validationPart(db, cfg);
  let val = train;
  let valIdx: Int32Array;
  let trainIdx: Int32Array;
  if (valPart) {
    // A validation part of its own: every chosen training sample trains.
    val = await openDatasetReader(db, d.id, { size: [train.height, train.width], channels: train.channels, ...named, split: valPart });
    valIdx = Int32Array.from(Array.from({ length: val.count }, (_, i) => i).filter((i) => val.labels[i]! >= 0));
    trainIdx = chosen.slice().sort();
  } else {
    const nVal = Math.floor(chosen.length * d.validationFraction);
    valIdx = chosen.slice(0, nVal).sort();
    trainIdx = chosen.slice(nVal).sort();
  }

  let test: DatasetReader | null = null;
  let testIdx = new Int32Array(0);
  if (d.testSplit) {
    if (partHasLabels(db, d.id, d.testSplit, d.split)) {
      test = await openDatasetReader(db, d.id, { size: [train.height, train.width], channels: train.channels, ...named, split: d.testSplit });
      const all = Array.from({ length: test.count }, (_, i) => i).filter((i) => test!.labels[i]! >= 0);
      // A test limit takes a seeded draw, not the first N: folder imports list samples class by class, so the
      // first N would be one or two classes. The draw does not depend on the run's seed, so runs that differ
      // only in seed are scored on the same images.
      testIdx =
        d.testLimit !== undefined && d.testLimit < all.length
          ? Int32Array.from(permutation(all.length, mulberry32(hashSeed(0, 0x7e57))).slice(0, d.testLimit), (i) => all[i]!).sort()
          : Int32Array.from(all);
    }
  }

  let pipeline: ResolvedPipeline | null = null;
  if (cfg.augment) {
    const spec = cfg.augment.pipelineId !== undefined ? getPipeline(db, { id: cfg.augment.pipelineId }).spec : cfg.augment.spec;
    pipeline = resolvePipeline(spec);
    const out = pipelineOutputShape(pipeline, { h: train.height, w: train.width, c: train.channels });
    if (out.h !== train.height || out.w !== train.width || out.c !== train.channels) {
      throw new Error(`augment: the pipeline turns ${train.height}x${train.width}x${train.channels} images into ${out.h}x${out.w}x${out.c}; training needs it to keep the size (set dataset.inputSize instead).`);
    }
  }
  return {
    train,
    val,
    test,
    trainIdx,
    valIdx,
    testIdx,
    pipeline,
    height: train.height,
    width: train.width,
    channels: train.channels,
    numClasses: train.numClasses,
    classNames: train.classNames,
    skipped: new Map(),
  };
}

/**
 * The split part read as the validation set, or null for a held-out fraction:
 * `dataset.valSplit` when given, else the "val" part of a named split that has
 * labelled samples in one (a split made with a validation part means it).
 */
export function validationPart(db: Database.Database, cfg: TrainConfig): string | null {
  const d = cfg.dataset;
  if (d.valSplit === null) return null;
  if (d.valSplit !== undefined) return d.valSplit;
  if (d.split === undefined) return null;
  const trainParts = Array.isArray(d.trainSplit) ? d.trainSplit : [d.trainSplit];
  if (trainParts.includes('val')) return null;
  return partCounts(db, d.id, ['val'], d.split).labelled > 0 ? 'val' : null;
}

/**
 * Reads a batch, leaving out samples whose image cannot be decoded (named in
 * `data.skipped`); any other failure (a file changed or gone) still fails.
 */
async function readSkipping(data: RunData, reader: DatasetReader, indices: Int32Array): Promise<{ pixels: Uint8Array; kept: Int32Array }> {
  const skip = (i: number): boolean => data.skipped.has(reader.meta(i).path);
  let kept = indices.some(skip) ? indices.filter((i) => !skip(i)) : indices;
  try {
    return { pixels: await reader.read(kept), kept };
  } catch (err) {
    if (!(err instanceof UndecodableImageError)) throw err;
  }
  // Find which samples fail, one by one (the good ones are cached by the reader for the retry).
  for (const i of kept) {
    try {
      await reader.read([i]);
    } catch (err) {
      if (!(err instanceof UndecodableImageError)) throw err;
      const p = reader.meta(i).path;
      data.skipped.set(p, err.message);
      data.onSkip?.(p, err.message);
    }
  }
  kept = kept.filter((i) => !skip(i));
  return { pixels: await reader.read(kept), kept };
}

export interface FloatBatch {
  /** [n,H,W,C] */
  data: Float32Array;
  labels: Int32Array;
  n: number;
  /** Evaluation batches: the reader indices of the samples kept (undecodable ones left out), in batch order. */
  indices?: Int32Array;
}

function toFloat(pixels: Uint8Array): Float32Array {
  const f = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) f[i] = pixels[i]!;
  return f;
}

/** Deterministic normalisation for evaluation: the pipeline's last normalize step, or x/255 without a pipeline. */
function normaliseForEval(data: Float32Array, channels: number, pipeline: ResolvedPipeline | null): void {
  const norm = pipeline ? lastNormalize(pipeline) : null;
  for (let i = 0; i < data.length; i++) {
    if (!norm) {
      data[i] = data[i]! / 255;
      continue;
    }
    const c = i % channels;
    const mean = norm.mean.length === 1 ? norm.mean[0]! : norm.mean[c]!;
    const std = norm.std.length === 1 ? norm.std[0]! : norm.std[c]!;
    data[i] = (data[i]! / norm.scale - mean) / std;
  }
}

/** A training batch: augmented with per-sample seeds hash(runSeed, epoch, sampleIndex), as the preview shows. */
export async function trainBatch(data: RunData, batchIndices: Int32Array, seed: number, epoch: number): Promise<FloatBatch> {
  const read = await readSkipping(data, data.train, batchIndices);
  const indices = read.kept;
  const pixels = toFloat(read.pixels);
  const labels = Int32Array.from(indices, (i) => data.train.labels[i]!);
  if (!data.pipeline) {
    normaliseForEval(pixels, data.channels, null);
    return { data: pixels, labels, n: indices.length };
  }
  const out = applyPipeline(data.pipeline, { data: pixels, n: indices.length, h: data.height, w: data.width, c: data.channels }, batchSeeds(seed, epoch, indices));
  return { data: out.data, labels, n: indices.length };
}

/** An evaluation batch (no random augmentation). */
export async function evalBatch(data: RunData, reader: DatasetReader, batchIndices: Int32Array): Promise<FloatBatch> {
  const read = await readSkipping(data, reader, batchIndices);
  const indices = read.kept;
  const pixels = toFloat(read.pixels);
  normaliseForEval(pixels, data.channels, data.pipeline);
  return { data: pixels, labels: Int32Array.from(indices, (i) => reader.labels[i]!), n: indices.length, indices };
}
