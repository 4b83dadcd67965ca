/**
 * The `adapt.attention` job: the per-stage attention maps (attention.ts, the
 * definition DAAA trains with) of an adaptation run's model and of a
 * source-only model, on a few source images, their translations and target
 * images, written as PNGs into `<job>/attention/` for the UI to show side by
 * side. Runs in the job process, so the models never run on the writer's
 * event loop.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { AdaptAttentionDomain, AdaptAttentionImage, AdaptAttentionParams, AdaptAttentionResult, AdaptAttentionView, AdaptTrainParams, AdaptTrainResult } from '../common/contract/adapt.ts';
import { jobParams, jobResult } from '../core/jobs/job-store.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';
import { initEngine } from '../engine/init.ts';
import { forward, type Model } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { loadModel } from '../nn/model-file.ts';
import { openDatasetReader, type DatasetReader } from '../datasets/reader.ts';
import { encodePng } from '../augment/png.ts';
import { attentionMap, stageOutputs } from './attention.ts';
import { translationsOf } from './translation.ts';
import { compareRunOf } from './attention-runs.ts';

/** A reader over the split the maps are drawn from: 'test' when the dataset has one, else every image. */
async function openSplit(ctx: JobRunContext<AdaptAttentionParams>, datasetId: number, size: [number, number]): Promise<DatasetReader> {
  const db = ctx.readDb();
  const hasTest = db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'test' LIMIT 1").get(datasetId) !== undefined;
  return openDatasetReader(db, datasetId, { size, channels: 3, ...(hasTest ? { split: 'test' } : {}) });
}

interface ModelView {
  /** Per stage, [n * h * w] of the L2-normalised maps. */
  maps: Float32Array[];
  predicted: Int32Array;
}

/** The maps of every stage and the predicted class of each image (pixels HWC uint8). */
function viewOf(model: Model, stages: string[], pixels: Uint8Array, n: number): ModelView {
  const { height, width } = model.spec.input;
  return tf.tidy(() => {
    const x = tf.div(tf.tensor4d(pixels, [n, height, width, 3], 'float32'), 255) as tf.Tensor4D;
    const out = forward(model, x, { training: false, taps: stages });
    return {
      maps: stages.map((s) => attentionMap(out.nodes!.get(s)! as tf.Tensor4D).dataSync() as Float32Array),
      predicted: tf.argMax(out.logits, 1).dataSync() as Int32Array,
    };
  });
}

export default async function run(ctx: JobRunContext<AdaptAttentionParams>): Promise<AdaptAttentionResult> {
  await initEngine();
  const p = ctx.params;
  const db = ctx.readDb();
  const runParams = jobParams<AdaptTrainParams>(db, p.jobId);
  const runResult = jobResult<AdaptTrainResult>(db, p.jobId);
  if (!runParams || !runResult) throw new Error(`jobId: job ${p.jobId} is not a finished adaptation run.`);
  const compareJobId = p.compareJobId ?? compareRunOf(db, p.jobId);
  const compare = compareJobId !== null ? jobResult<AdaptTrainResult>(db, compareJobId) : null;
  if (compareJobId === null || !compare) throw new Error(`compareJobId: no finished source-only run to compare job ${p.jobId} with.`);
  const adapted = loadModel(path.resolve(ctx.workspaceDir, runResult.modelDir)).model;
  let sourceOnly: Model | null = null;
  try {
    sourceOnly = loadModel(path.resolve(ctx.workspaceDir, compare.modelDir)).model;
    const stages = stageOutputs(adapted);
    const a = adapted.spec.input;
    const b = sourceOnly.spec.input;
    if (stages.length === 0) throw new Error(`jobId: ${adapted.spec.arch} has no stageN/ nodes to read attention from.`);
    if (stageOutputs(sourceOnly).join() !== stages.join() || a.height !== b.height || a.width !== b.width) {
      throw new Error(`compareJobId: job ${compareJobId}'s model (${sourceOnly.spec.arch}, ${b.height}x${b.width}) has other stages or another input size than job ${p.jobId}'s (${adapted.spec.arch}, ${a.height}x${a.width}).`);
    }
    const size: [number, number] = [a.height, a.width];
    const source = await openSplit(ctx, runParams.sourceDatasetId, size);
    const target = await openSplit(ctx, runParams.targetDatasetId, size);
    const translatedId = p.translatedDatasetId ?? runParams.translatedDatasetId;
    const translation = translatedId !== undefined ? await translationsOf(db, translatedId, source, size) : null;
    // The source images drawn (with a translation, only images that have one), and as many target images.
    const draw = (n: number, salt: number): number[] => Array.from(permutation(n, mulberry32(hashSeed(p.seed, salt))));
    const sourceIdx = draw(source.count, 1).filter((i) => !translation || translation.of[i]! >= 0).slice(0, p.count);
    const targetIdx = draw(target.count, 2).slice(0, p.count);
    const rows: { domain: AdaptAttentionDomain; reader: DatasetReader; idx: number[]; pairedWith?: number[] }[] = [
      { domain: 'source', reader: source, idx: sourceIdx },
      ...(translation ? [{ domain: 'translated' as const, reader: translation.reader, idx: sourceIdx.map((i) => translation.of[i]!) }] : []),
      { domain: 'target', reader: target, idx: targetIdx },
    ];
    const outDir = path.join(ctx.jobDir, 'attention');
    mkdirSync(outDir, { recursive: true });
    const rel = (file: string): string => path.relative(ctx.workspaceDir, file);
    const shapes = stages.map((s) => {
      const shape = tf.tidy(() => forward(adapted, tf.zeros([1, size[0], size[1], 3]) as tf.Tensor4D, { training: false, taps: [s] }).nodes!.get(s)!.shape);
      return { name: s, height: shape[1]!, width: shape[2]! };
    });
    const models = { adapted, sourceOnly } as const;
    const sourceViews = new Map<keyof typeof models, ModelView>();
    const result: AdaptAttentionResult = { jobId: p.jobId, compareJobId, method: runParams.method, stages: shapes, classNames: source.classNames, rows: [] };
    let done = 0;
    for (const row of rows) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      const pixels = await row.reader.read(row.idx);
      const n = row.idx.length;
      const imageBytes = size[0] * size[1] * 3;
      const views = new Map<keyof typeof models, ModelView>();
      for (const key of ['adapted', 'sourceOnly'] as const) views.set(key, viewOf(models[key], stages, pixels, n));
      if (row.domain === 'source') for (const [k, v] of views) sourceViews.set(k, v);
      const items: AdaptAttentionImage[] = [];
      for (let j = 0; j < n; j++) {
        const base = `${row.domain}-${j}`;
        const image = path.join(outDir, `${base}.png`);
        writeFileSync(image, await encodePng(pixels.subarray(j * imageBytes, (j + 1) * imageBytes), size[0], size[1], 3));
        const item: Partial<Record<keyof typeof models, AdaptAttentionView>> = {};
        for (const key of ['adapted', 'sourceOnly'] as const) {
          const v = views.get(key)!;
          const maps: string[] = [];
          const distance: number[] = [];
          for (let s = 0; s < stages.length; s++) {
            const { height, width } = shapes[s]!;
            const hw = height * width;
            const map = v.maps[s]!.subarray(j * hw, (j + 1) * hw);
            // Scaled by its maximum for display: the map is L2-normalised, so only where it looks counts.
            let max = 0;
            for (const x of map) max = Math.max(max, x);
            const file = path.join(outDir, `${base}-${key}-stage${s}.png`);
            writeFileSync(file, await encodePng(Float32Array.from(map, (x) => (max > 0 ? (x / max) * 255 : 0)), height, width, 1));
            maps.push(rel(file));
            if (row.domain === 'translated') {
              const src = sourceViews.get(key)!.maps[s]!.subarray(j * hw, (j + 1) * hw);
              let d = 0;
              for (let k = 0; k < hw; k++) d += (map[k]! - src[k]!) ** 2;
              distance.push(Math.sqrt(d));
            }
          }
          item[key] = { maps, predicted: v.predicted[j]!, ...(row.domain === 'translated' ? { distance } : {}) };
        }
        items.push({ sampleId: row.reader.sampleIds[row.idx[j]!]!, label: row.reader.labels[row.idx[j]!]!, image: rel(image), adapted: item.adapted!, sourceOnly: item.sourceOnly! });
      }
      result.rows.push({ domain: row.domain, datasetId: row.reader.datasetId, items });
      done++;
      ctx.progress({ step: `${row.domain} images`, fraction: done / rows.length });
    }
    ctx.log(`Attention maps of ${stages.length} stages for ${rows.map((r) => `${r.idx.length} ${r.domain}`).join(', ')} images: job ${p.jobId} (${runParams.method}) beside job ${compareJobId} (source-only).`);
    return result;
  } finally {
    disposeModel(adapted);
    if (sourceOnly) disposeModel(sourceOnly);
  }
}
