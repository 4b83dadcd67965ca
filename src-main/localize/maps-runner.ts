import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { jobParams } from '../core/jobs/job-store.ts';
import { spgConfigSchema } from '../common/contract/localize.ts';
import type { LocalizeMapsParams, LocalizeMapsResult, LocalizeMapItem, LocalizeTrainParams, SpgConfig } from '../common/contract/localize.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { encodePng } from '../augment/png.ts';
import { loadWorkspaceModel } from '../models/workspace-model.ts';
import { forward } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { startEngine } from '../engine/start.ts';
import { layoutOf, SPG_BRANCHES, type SpgBranch } from './head.ts';
import { attentionMaps, mapsOfClass, spgStageMasks } from './spg.ts';
import { localizeInput } from './input.ts';
import { iou, largestComponentBox, scaleBoxes, type Box } from './boxes.ts';
import { grayOf, heatmapRgb } from './heatmap.ts';
import { MAPS_INDEX, MAPS_F32, STAGES_U8 } from './api.ts';

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
 * The `localize.maps` job: for each chosen sample, the predicted class's map
 * (bilinearly upsampled to the image, min-max normalised) as a heatmap PNG,
 * the largest component's box at the threshold, the ground-truth boxes with
 * IoU and, for SPG, the three stage masks the model's own thresholds give (on
 * the predicted class: at inference there is no label). Writes
 * `<job>/maps/`: `<sampleId>.png`, maps.json, maps.f32 (the maps) and stages.u8.
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
    const n = h * w;
    const maps = new Float32Array(indices.length * n);
    const stages = stageCfg ? new Uint8Array(indices.length * 3 * n) : null;
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
        const att = attentionMaps(classMaps, predicted, h, w);
        let masks: tf.Tensor4D[] = [];
        if (spg) {
          const branchOut = Object.fromEntries(branches.map((b) => [b, res.nodes!.get(layout.branches[b]!.output) as tf.Tensor4D]));
          const m = spgStageMasks(mapsOfClass(classMaps, predicted), branchOut, spg);
          // One channel per stage, value 2 x target + (1 - weight): object 2, ignored 1, background 0; nearest to image size.
          masks = STAGE_BRANCH.map((b) => {
            const t = m[b];
            if (!t) return tf.fill([idx.length, h, w, 1], 1) as tf.Tensor4D;
            const v = tf.add(tf.mul(t.target, 2), tf.sub(1, t.weight)) as tf.Tensor4D;
            return tf.image.resizeNearestNeighbor(v, [h, w]);
          });
        }
        const classes = predicted.arraySync();
        return {
          maps: tf.keep(att),
          predicted: classes,
          scores: (probs.arraySync() as number[][]).map((row, j) => row[classes[j]!]!),
          masks: masks.map((m) => tf.keep(m)),
        };
      });
      const values = out.maps.dataSync() as Float32Array;
      out.maps.dispose();
      const maskValues = out.masks.map((m) => {
        const v = m.dataSync();
        m.dispose();
        return v;
      });
      for (let j = 0; j < idx.length; j++) {
        const k = start + j;
        const meta = reader.meta(idx[j]!);
        const map = values.slice(j * n, (j + 1) * n);
        maps.set(map, k * n);
        if (stages) maskValues.forEach((v, s) => v.subarray(j * n, (j + 1) * n).forEach((x, q) => (stages[(k * 3 + s) * n + q] = Math.round(x))));
        const box = largestComponentBox({ values: map, width: w, height: h }, p.threshold);
        const gt = scaleBoxes(meta.boxes as Box[], meta.width ?? w, meta.height ?? h, w, h);
        const gtBoxes = gt.map((b) => ({ box: b, iou: iou(box, b) }));
        const png = `${meta.sampleId}.png`;
        const gray = p.blend < 1 ? grayOf(pixels, n, c, j * n * c) : undefined;
        writeFileSync(path.join(dir, png), await encodePng(heatmapRgb(map, w, h, p.colormap, p.blend, gray), h, w, 3));
        const label = reader.labels[idx[j]!]!;
        const predicted = out.predicted[j]!;
        items.push({
          index: k,
          sampleId: meta.sampleId,
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
      }
      ctx.progress({ step: `${Math.min(start + batch, indices.length)}/${indices.length}` });
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
    writeFileSync(path.join(dir, MAPS_F32), Buffer.from(maps.buffer, maps.byteOffset, maps.byteLength));
    if (stages) writeFileSync(path.join(dir, STAGES_U8), stages);
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
