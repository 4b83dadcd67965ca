import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { LocalizeEvalParams, LocalizeEvalResult, LocalizeEvalRow, LocalizeImage } from '../common/contract/localize.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import type { DatasetReader } from '../datasets/reader.ts';
import { loadBlob } from '../datasets/pixels.ts';
import { parseInfo } from '../datasets/dataset-info.ts';
import type { BlobInfo } from '../datasets/dataset-info.ts';
import { loadWorkspaceModel } from '../models/workspace-model.ts';
import { forward } from '../nn/forward.ts';
import type { Model } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { startEngine } from '../engine/start.ts';
import { layoutOf } from './head.ts';
import { attentionMaps } from './spg.ts';
import { localizeInput } from './input.ts';
import { EVAL_IMAGES, EVAL_MAPS } from './api.ts';
import {
  boxAccCurve,
  centreBox,
  fixedBoxAccuracy,
  fixedThresholdLoc,
  largestComponentBox,
  MAX_BOX_ACC_IOUS,
  maxBoxAccV2,
  normalizeMap,
  pxap,
  scaleBoxes,
  wholeImageBox,
  type Box,
  type LocItem,
} from './boxes.ts';

export type { LocalizeEvalResult };

interface SplitData {
  reader: DatasetReader;
  indices: number[];
  model: LocItem[];
  input: LocItem[];
}

/** Object masks of a generated set (`info.extra.masks`), by sample id; null when the dataset has none or sizes differ. */
function masksOf(db: Database.Database, datasetId: number, h: number, w: number): ((sampleId: number) => Uint8Array | undefined) | null {
  const row = db.prepare('SELECT name, info FROM datasets WHERE id = ?').get(datasetId) as { name: string; info: string };
  const blob = (parseInfo(row.info).extra as { masks?: BlobInfo }).masks;
  if (!blob || blob.h !== h || blob.w !== w) return null;
  const data = loadBlob(path.resolve(path.dirname(db.name), blob.path), blob, `Dataset ${datasetId} "${row.name}" masks`);
  const index = new Map(
    (db.prepare("SELECT id, json_extract(extra, '$.blobIndex') AS bi FROM samples WHERE dataset_id = ?").all(datasetId) as { id: number; bi: number | null }[]).map((r) => [r.id, r.bi]),
  );
  const n = h * w;
  return (sampleId) => {
    const bi = index.get(sampleId);
    return bi === null || bi === undefined ? undefined : data.subarray(bi * n, (bi + 1) * n);
  };
}

/** `share`: the part [from, to] of the job's progress bar this split's forward passes fill. */
async function evaluateSplit(ctx: JobRunContext<LocalizeEvalParams>, model: Model, split: string, maskOf: ((id: number) => Uint8Array | undefined) | null, share: [number, number]): Promise<SplitData> {
  const p = ctx.params;
  const spec = model.spec;
  const reader = await openDatasetReader(ctx.readDb(), p.datasetId, { split, size: [spec.input.height, spec.input.width], channels: spec.input.channels === 1 ? 1 : 3 });
  const [h, w, c] = [reader.height, reader.width, reader.channels];
  const indices: number[] = [];
  for (let i = 0; i < reader.count && (p.limit === undefined || indices.length < p.limit); i++) {
    if (reader.labels[i]! >= 0 && reader.meta(i).boxes.length > 0) indices.push(i);
  }
  if (indices.length === 0) throw new Error(`datasetId: dataset ${p.datasetId} has no labeled images with boxes in split '${split}'.`);
  const layout = layoutOf(spec);
  const out: SplitData = { reader, indices, model: [], input: [] };
  for (let start = 0; start < indices.length; start += p.batchSize) {
    if (ctx.signal.aborted) throw new Error('cancelled');
    const idx = indices.slice(start, start + p.batchSize);
    const pixels = await reader.read(idx);
    const labels = idx.map((i) => reader.labels[i]!);
    const { maps, rankings } = tf.tidy(() => {
      const x = localizeInput(pixels, idx.length, h, w, c);
      const res = forward(model, x, { training: false, taps: [layout.classMaps] });
      const k = Math.min(5, res.logits.shape[1]);
      const top = tf.topk(res.logits, k).indices.arraySync() as number[][];
      const att = attentionMaps(res.nodes!.get(layout.classMaps) as tf.Tensor4D, tf.tensor1d(labels, 'int32'), h, w);
      return { maps: tf.keep(att), rankings: top };
    });
    const values = maps.dataSync() as Float32Array;
    maps.dispose();
    idx.forEach((i, j) => {
      const meta = reader.meta(i);
      const boxes = scaleBoxes(meta.boxes as Box[], meta.width ?? w, meta.height ?? h, w, h);
      const mask = maskOf?.(meta.sampleId);
      const base = { label: labels[j]!, ranking: rankings[j]!, boxes, ...(mask ? { mask } : {}) };
      out.model.push({ ...base, map: { values: values.slice(j * h * w, (j + 1) * h * w), width: w, height: h } });
      // The no-learning baseline: the input image itself (mean over channels) as the score map.
      const img = new Float32Array(h * w);
      for (let q = 0; q < h * w; q++) {
        let sum = 0;
        for (let ch = 0; ch < c; ch++) sum += pixels[(j * h * w + q) * c + ch]!;
        img[q] = sum / c;
      }
      out.input.push({ ...base, ranking: [base.label], map: { values: normalizeMap(img), width: w, height: h } });
    });
    const done = Math.min(start + p.batchSize, indices.length);
    ctx.progress({ step: `${split}: ${done}/${indices.length}`, fraction: share[0] + ((share[1] - share[0]) * done) / indices.length });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/**
 * The `localize.eval` job: GT-class attention maps of every labeled, boxed
 * image of `split` (and of the held-out `selectSplit`), scored by both
 * protocols, beside the no-learning baselines (the input as the map, the centre
 * box, the whole-image box). Writes per-image records and uint8 maps for the
 * Localization page into `<job>/eval/`.
 */
export default async function run(ctx: JobRunContext<LocalizeEvalParams>): Promise<LocalizeEvalResult> {
  const p = ctx.params;
  const engine = await startEngine();
  const db = ctx.readDb();
  const { row, model } = loadWorkspaceModel(db, ctx.workspaceDir, p.modelId);
  try {
    const method = row.method === 'spg' ? 'spg' : 'cam';
    const maskOf = masksOf(db, p.datasetId, model.spec.input.height, model.spec.input.width);
    // The forward passes fill 90% of the bar (split by the two splits), the scoring the rest.
    const twoSplits = Boolean(p.selectSplit && p.selectSplit !== p.split);
    const test = await evaluateSplit(ctx, model, p.split, maskOf, [0, twoSplits ? 0.6 : 0.9]);
    const select = twoSplits ? await evaluateSplit(ctx, model, p.selectSplit!, maskOf, [0.6, 0.9]) : null;
    ctx.progress({ step: 'scoring both protocols', fraction: 0.9 });
    const [h, w] = [test.reader.height, test.reader.width];

    const fixed = fixedThresholdLoc(test.model, p.threshold);
    const curve = boxAccCurve(test.model);
    const chosen = maxBoxAccV2(select ? boxAccCurve(select.model) : curve, curve);
    const inputFixed = fixedThresholdLoc(test.input, p.threshold);
    const inputCurve = boxAccCurve(test.input);
    const inputChosen = maxBoxAccV2(select ? boxAccCurve(select.input) : inputCurve, inputCurve);
    const fixedBoxRow = (name: string, box: Box): LocalizeEvalRow => ({
      name,
      top1Cls: null,
      top1Loc: null,
      top5Loc: null,
      gtKnownLoc: fixedBoxAccuracy(test.model, () => box),
      // A fixed box has no threshold: MaxBoxAccV2 is its accuracy averaged over the IoU thresholds.
      maxBoxAccV2: MAX_BOX_ACC_IOUS.reduce((s, d) => s + fixedBoxAccuracy(test.model, () => box, d), 0) / MAX_BOX_ACC_IOUS.length,
      pxap: null,
    });
    const rows: LocalizeEvalRow[] = [
      { name: `${method.toUpperCase()} (${row.name})`, top1Cls: fixed.top1Cls, top1Loc: fixed.top1Loc, top5Loc: fixed.top5Loc, gtKnownLoc: fixed.gtKnownLoc, maxBoxAccV2: chosen.maxBoxAccV2, pxap: pxap(test.model) },
      { name: 'input as map (no learning)', top1Cls: null, top1Loc: null, top5Loc: null, gtKnownLoc: inputFixed.gtKnownLoc, maxBoxAccV2: inputChosen.maxBoxAccV2, pxap: pxap(test.input) },
      fixedBoxRow('centre box (no learning)', centreBox(w, h)),
      fixedBoxRow('whole-image box (no learning)', wholeImageBox(w, h)),
    ];

    const dir = path.join(ctx.jobDir, 'eval');
    mkdirSync(dir, { recursive: true });
    const images: LocalizeImage[] = test.model.map((it, k) => ({
      index: k,
      sampleId: test.reader.meta(test.indices[k]!).sampleId,
      label: it.label,
      predicted: it.ranking[0]!,
      box: largestComponentBox(it.map, p.threshold),
      gtBoxes: it.boxes as Box[],
      iou: fixed.ious[k]!,
    }));
    const maps = new Uint8Array(images.length * h * w);
    test.model.forEach((it, k) => it.map.values.forEach((v, q) => (maps[k * h * w + q] = Math.round(v * 255))));
    writeFileSync(path.join(dir, EVAL_MAPS), maps);
    writeFileSync(path.join(dir, 'maps.json'), JSON.stringify({ width: w, height: h }));
    writeFileSync(path.join(dir, EVAL_IMAGES), JSON.stringify(images));
    const fmt = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
    for (const r of rows) ctx.log(`${r.name}: Top-1 Loc ${fmt(r.top1Loc)}, GT-known Loc ${fmt(r.gtKnownLoc)}, MaxBoxAccV2 ${fmt(r.maxBoxAccV2)}, PxAP ${fmt(r.pxap)}, Top-1 Cls ${fmt(r.top1Cls)}.`);
    ctx.log(`${images.length} test images; thresholds chosen on '${select ? p.selectSplit : p.split}'; ${engine.backend}.`);
    return {
      modelId: p.modelId,
      datasetId: p.datasetId,
      split: p.split,
      selectSplit: select ? p.selectSplit! : p.split,
      method,
      threshold: p.threshold,
      images: images.length,
      rows,
      curve: { thresholds: curve.thresholds, ious: curve.ious, accuracy: curve.accuracy },
      chosenThresholds: chosen.perIou.map((c) => ({ iou: c.iou, threshold: c.threshold })),
      dir: path.relative(ctx.workspaceDir, dir),
    };
  } finally {
    disposeModel(model);
  }
}
