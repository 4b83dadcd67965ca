import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { jobParams } from '../core/jobs/job-store.ts';
import { spgConfigSchema } from '../common/contract/localize.ts';
import type { LocalizeMapsParams, LocalizeMapsResult, LocalizeMapItem, LocalizeTrainParams, SpgConfig } from '../common/contract/localize.ts';
import type Database from 'better-sqlite3';
import { openDatasetReader } from '../datasets/reader.ts';
import { checkUnchanged, decodeFile, resizeRaw } from '../datasets/pixels.ts';
import { resolveSampleFile } from '../datasets/sample-file.ts';
import { encodePng } from '../augment/png.ts';
import { loadWorkspaceModel } from '../models/workspace-model.ts';
import { forward } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { startEngine } from '../engine/start.ts';
import { layoutOf, SPG_BRANCHES, type SpgBranch } from './head.ts';
import { attentionMaps, mapsOfClass, spgStageMasks } from './spg.ts';
import { localizeInput } from './input.ts';
import { iou, largestComponentBox, type Box } from './boxes.ts';
import { heatmapRgb, type BlendImage } from './heatmap.ts';
import { MAPS_INDEX, MAPS_U8, STAGES_U8 } from './api.ts';

export type { LocalizeMapsResult };

/** SPG stages in order: stage 1 supervises `deep`, stage 2 `shallow`, stage 3 `top`. */
const STAGE_BRANCH: SpgBranch[] = ['deep', 'shallow', 'top'];

/** The SPG settings a model was trained with (its train job's params), else the paper's defaults. */
function trainedSpgConfig(ctx: JobRunContext<LocalizeMapsParams>, modelId: number): SpgConfig {
  const db = ctx.readDb();
  const m = db.prepare('SELECT job_id FROM models WHERE id = ?').get(modelId) as { job_id: number | null } | undefined;
  const params = m?.job_id ? jobParams<Partial<LocalizeTrainParams>>(db, m.job_id) : undefined;
  return spgConfigSchema.parse(params?.spg ?? {});
}

/**
 * Pixels of a sample at its stored size (for blending the heatmap over it):
 * an image file decoded again at that size, under the dataset's confinement
 * rule; a decoded sample's own pixels resized.
 */
function nativeImageReader(db: Database.Database, datasetId: number, channels: 1 | 3): (sampleId: number, own: Uint8Array, h: number, w: number, H: number, W: number) => Promise<Uint8Array> {
  const ds = db.prepare('SELECT name, root_path FROM datasets WHERE id = ?').get(datasetId) as { name: string; root_path: string };
  const label = `Dataset ${datasetId} "${ds.name}"`;
  const row = db.prepare("SELECT path, real_path, size_bytes, mtime_ms, json_extract(extra, '$.blobIndex') AS bi FROM samples WHERE id = ?");
  return async (sampleId, own, h, w, H, W) => {
    const r = row.get(sampleId) as { path: string; real_path: string | null; size_bytes: number | null; mtime_ms: number | null; bi: number | null };
    if (r.bi !== null) return resizeRaw(own, h, w, channels, H, W);
    const abs = resolveSampleFile(ds.root_path, r.path, r.real_path, label);
    checkUnchanged(abs, r.size_bytes, r.mtime_ms, label);
    return decodeFile(abs, H, W, channels);
  };
}

/**
 * The `localize.maps` job: for each chosen sample, the predicted class's map
 * (bilinearly upsampled to the image, min-max normalised) as a heatmap PNG,
 * the largest component's box at the threshold, the ground-truth boxes with
 * IoU and, for SPG, the three stage masks the model's own thresholds give (on
 * the predicted class: at inference there is no label). Writes
 * `<job>/maps/`: `<sampleId>.png`, maps.json, maps.u8 (the maps, 0-255) and
 * stages.u8, each image at its stored size (the model sees it resized).
 */
export default async function run(ctx: JobRunContext<LocalizeMapsParams>): Promise<LocalizeMapsResult> {
  const p = ctx.params;
  await startEngine();
  const db = ctx.readDb();
  const { row, model } = loadWorkspaceModel(db, ctx.workspaceDir, p.modelId);
  try {
    const method = row.method === 'spg' ? 'spg' : 'cam';
    const spec = model.spec;
    const layout = layoutOf(spec);
    const branches = SPG_BRANCHES.filter((b) => layout.branches[b]);
    const spg = method === 'spg' && branches.length > 0 ? trainedSpgConfig(ctx, p.modelId) : null;
    const stageCfg = spg ? [spg.stage1, spg.stage2, spg.stage3] : null;
    const reader = await openDatasetReader(db, p.datasetId, { split: p.sampleIds ? undefined : p.split, size: [spec.input.height, spec.input.width], channels: spec.input.channels === 1 ? 1 : 3 });
    const [h, w, c] = [reader.height, reader.width, reader.channels];
    let indices: number[];
    if (p.sampleIds) {
      const byId = new Map(reader.sampleIds.map((id, i) => [id, i]));
      const missing = p.sampleIds.filter((id) => !byId.has(id));
      if (missing.length > 0) throw new Error(`sampleIds: ${missing.join(', ')} are not samples of dataset ${p.datasetId}.`);
      indices = p.sampleIds.map((id) => byId.get(id)!);
    } else {
      indices = Array.from({ length: Math.min(p.limit, reader.count) }, (_, i) => i);
    }
    const modelClasses = (JSON.parse((db.prepare('SELECT metrics FROM models WHERE id = ?').get(p.modelId) as { metrics: string | null }).metrics ?? '{}') as { classNames?: string[] }).classNames ?? [];

    const dir = path.join(ctx.jobDir, 'maps');
    mkdirSync(dir, { recursive: true });
    const nativePixels = nativeImageReader(db, p.datasetId, c);
    // maps.u8 and stages.u8 are written as they grow: images differ in size, so each item records its offset.
    const mapChunks: Uint8Array[] = [];
    const stageChunks: Uint8Array[] = [];
    let offset = 0;
    const items: LocalizeMapItem[] = [];
    const batch = 32;
    for (let start = 0; start < indices.length; start += batch) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      const idx = indices.slice(start, start + batch);
      const pixels = await reader.read(idx);
      const taps = [layout.classMaps, ...branches.map((b) => layout.branches[b]!.output)];
      const out = tf.tidy(() => {
        const x = localizeInput(pixels, idx.length, h, w, c);
        const res = forward(model, x, { training: false, taps });
        const probs = tf.softmax(res.logits);
        const predicted = tf.argMax(res.logits, 1) as tf.Tensor1D;
        const classMaps = res.nodes!.get(layout.classMaps) as tf.Tensor4D;
        let masks: (tf.Tensor4D | undefined)[] = [];
        if (spg) {
          const branchOut = Object.fromEntries(branches.map((b) => [b, res.nodes!.get(layout.branches[b]!.output) as tf.Tensor4D]));
          const m = spgStageMasks(mapsOfClass(classMaps, predicted), branchOut, spg);
          // One map per stage at its branch's resolution, value 2 x target + (1 - weight): object 2, ignored 1, background 0.
          masks = STAGE_BRANCH.map((b) => {
            const t = m[b];
            return t ? (tf.add(tf.mul(t.target, 2), tf.sub(1, t.weight)) as tf.Tensor4D) : undefined;
          });
        }
        const classes = predicted.arraySync();
        return {
          classMaps: tf.keep(classMaps),
          predicted: classes,
          scores: (probs.arraySync() as number[][]).map((row, j) => row[classes[j]!]!),
          masks: masks.map((m) => (m ? tf.keep(m) : undefined)),
        };
      });
      try {
        for (let j = 0; j < idx.length; j++) {
          const k = start + j;
          const meta = reader.meta(idx[j]!);
          // The map at the stored image's size (boxes are in its pixels), else at the model's input size.
          const [H, W] = meta.width && meta.height ? [meta.height, meta.width] : [h, w];
          const n = H * W;
          const predicted = out.predicted[j]!;
          const map = tf.tidy(() => attentionMaps(tf.slice(out.classMaps, [j, 0, 0, 0], [1, -1, -1, -1]), tf.tensor1d([predicted], 'int32'), H, W).dataSync() as Float32Array);
          mapChunks.push(Uint8Array.from(map, (v) => Math.round(v * 255)));
          if (stageCfg) {
            for (const m of out.masks) {
              const v = m ? tf.tidy(() => tf.image.resizeNearestNeighbor(tf.slice(m, [j, 0, 0, 0], [1, -1, -1, -1]), [H, W]).dataSync()) : new Float32Array(n).fill(1);
              stageChunks.push(Uint8Array.from(v, (x) => Math.round(x)));
            }
          }
          const box = largestComponentBox({ values: map, width: W, height: H }, p.threshold);
          const gtBoxes = (meta.boxes as Box[]).map((b) => ({ box: b, iou: iou(box, b) }));
          const png = `${meta.sampleId}.png`;
          let under: BlendImage | undefined;
          if (p.blend < 1) {
            const own = pixels.subarray(j * h * w * c, (j + 1) * h * w * c);
            under = { data: H === h && W === w ? own : await nativePixels(meta.sampleId, own, h, w, H, W), channels: c };
          }
          writeFileSync(path.join(dir, png), await encodePng(heatmapRgb(map, W, H, p.colormap, p.blend, under), H, W, 3));
          const label = reader.labels[idx[j]!]!;
          items.push({
            index: k,
            sampleId: meta.sampleId,
            width: W,
            height: H,
            offset,
            label,
            labelName: label >= 0 ? (reader.classNames[label] ?? null) : null,
            predicted,
            predictedName: modelClasses[predicted] ?? null,
            score: out.scores[j]!,
            box,
            gtBoxes,
            iou: gtBoxes.reduce((m, g) => Math.max(m, g.iou), 0),
            png,
          });
          offset += n;
        }
      } finally {
        out.classMaps.dispose();
        out.masks.forEach((m) => m?.dispose());
      }
      ctx.progress({ step: `${Math.min(start + batch, indices.length)}/${indices.length}`, fraction: Math.min(start + batch, indices.length) / indices.length });
    }
    const result: LocalizeMapsResult = {
      modelId: p.modelId,
      datasetId: p.datasetId,
      method,
      threshold: p.threshold,
      colormap: p.colormap,
      blend: p.blend,
      width: w,
      height: h,
      stages: stageCfg,
      items,
      dir: path.relative(ctx.workspaceDir, dir),
      outDir: p.outDir ?? null,
    };
    writeFileSync(path.join(dir, MAPS_U8), Buffer.concat(mapChunks));
    if (stageCfg) writeFileSync(path.join(dir, STAGES_U8), Buffer.concat(stageChunks));
    const { dir: _dir, outDir: _out, ...index } = result;
    writeFileSync(path.join(dir, MAPS_INDEX), JSON.stringify(index, null, 1));
    if (p.outDir) {
      mkdirSync(p.outDir, { recursive: true });
      for (const it of items) copyFileSync(path.join(dir, it.png), path.join(p.outDir, it.png));
      copyFileSync(path.join(dir, MAPS_INDEX), path.join(p.outDir, MAPS_INDEX));
    }
    const hits = items.filter((it) => it.iou >= 0.5).length;
    ctx.log(`${items.length} heatmaps (${method}, threshold ${p.threshold}); ${hits} predicted boxes with IoU >= 0.5${p.outDir ? `; copied to ${p.outDir}` : ''}.`);
    return result;
  } finally {
    disposeModel(model);
  }
}
