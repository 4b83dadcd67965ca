import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { ReidEvalParams, ReidMetrics } from '../common/contract/reid.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import type { DatasetReader } from '../datasets/reader.ts';
import { loadModel } from '../nn/model-file.ts';
import { disposeModel } from '../nn/init.ts';
import type { Model } from '../nn/forward.ts';
import { startEngine } from '../engine/start.ts';
import { ideInput, ideFeatures } from './ide.ts';
import { evaluateDistances, cmcFromFirstGoodRanks, cmcAt } from './evaluate.ts';
import { writeEvalFiles } from './eval-store.ts';
import type { RankingFile } from './eval-store.ts';

export interface ReidEvalResult {
  metrics: ReidMetrics;
  modelId: number;
  queryDatasetId: number;
  galleryDatasetId: number;
  /** Absolute path of ranking.json. */
  rankingFile: string;
  seconds: { features: number; ranking: number };
  backend: string;
}

interface ModelRow {
  dir: string;
  metrics: string;
}

async function extract(model: Model, reader: DatasetReader, lmpParts: number, batchSize: number, ctx: JobRunContext<ReidEvalParams>, label: string): Promise<{ data: Float32Array; dim: number }> {
  const chunks: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < reader.count; start += batchSize) {
    if (ctx.signal.aborted) throw new Error('cancelled');
    const idx = Array.from({ length: Math.min(batchSize, reader.count - start) }, (_, k) => start + k);
    const x = ideInput(await reader.read(idx), idx.length, reader.height, reader.width);
    const f = ideFeatures(model, x, lmpParts);
    dim = f.shape[1];
    chunks.push((await f.data()) as Float32Array);
    tf.dispose([x, f]);
    ctx.progress({ step: `${label} features ${start + idx.length}/${reader.count}` });
  }
  const data = new Float32Array(reader.count * dim);
  let off = 0;
  for (const c of chunks) {
    data.set(c, off);
    off += c.length;
  }
  return { data, dim };
}

function labelsOf(reader: DatasetReader): { sampleIds: number[]; personIds: number[]; cameras: number[] } {
  const out = { sampleIds: [] as number[], personIds: [] as number[], cameras: [] as number[] };
  for (let i = 0; i < reader.count; i++) {
    const m = reader.meta(i);
    out.sampleIds.push(m.sampleId);
    out.personIds.push(m.personId ?? -1);
    out.cameras.push(m.camera ?? -1);
  }
  return out;
}

/** Features of query and gallery, Euclidean distances (unit-norm: sqrt(2 - 2 cos)), Market-1501 protocol. */
export default async function run(ctx: JobRunContext<ReidEvalParams>): Promise<ReidEvalResult> {
  const p = ctx.params;
  const engine = await startEngine();
  const db = ctx.readDb();
  const row = db.prepare('SELECT dir, metrics FROM models WHERE id = ?').get(p.modelId) as ModelRow | undefined;
  if (!row) throw new Error(`modelId: model ${p.modelId} does not exist.`);
  const info = JSON.parse(row.metrics) as { lmpParts?: number; imageSize?: [number, number] };
  const { model } = loadModel(path.resolve(ctx.workspaceDir, row.dir));
  const size: [number, number] = info.imageSize ?? [model.spec.input.height, model.spec.input.width];
  const lmp = info.lmpParts ?? 0;
  try {
    const t0 = Date.now();
    const named = p.split !== undefined ? { splitName: p.split } : {};
    const q = await openDatasetReader(db, p.queryDatasetId, { ...named, split: 'query', size, channels: 3, labelBy: 'person' });
    const g = await openDatasetReader(db, p.galleryDatasetId, { ...named, split: 'gallery', size, channels: 3, labelBy: 'person' });
    ctx.log(`Evaluating model ${p.modelId} on ${q.count} queries x ${g.count} gallery images at ${size.join('x')} (${engine.backend}).`);
    const qf = await extract(model, q, lmp, p.batchSize, ctx, 'query');
    const gf = await extract(model, g, lmp, p.batchSize, ctx, 'gallery');
    const tFeatures = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    const qLabels = labelsOf(q);
    const gLabels = labelsOf(g);
    const gallery = { personIds: Int32Array.from(gLabels.personIds), cameras: Int32Array.from(gLabels.cameras) };
    const topK = Math.min(p.storeTopK, g.count);
    const ap = new Float64Array(q.count);
    const firstGood = new Int32Array(q.count);
    const topIndex = new Int32Array(q.count * topK);
    const topDistance = new Float32Array(q.count * topK);
    const gT = tf.tensor2d(gf.data, [g.count, gf.dim]);
    // Query chunks bound the distance matrix held at once (chunk x gallery floats).
    const chunk = Math.max(1, Math.floor(8_000_000 / Math.max(1, g.count)));
    for (let start = 0; start < q.count; start += chunk) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      const n = Math.min(chunk, q.count - start);
      const dist = tf.tidy(() => {
        const qT = tf.tensor2d(qf.data.subarray(start * qf.dim, (start + n) * qf.dim), [n, qf.dim]);
        return tf.sqrt(tf.relu(tf.sub(2, tf.mul(2, tf.matMul(qT, gT, false, true))))); // [n, G]
      });
      const d = (await dist.data()) as Float32Array;
      dist.dispose();
      const part = evaluateDistances(d, { personIds: Int32Array.from(qLabels.personIds.slice(start, start + n)), cameras: Int32Array.from(qLabels.cameras.slice(start, start + n)) }, gallery, { topK });
      ap.set(part.perQuery.ap, start);
      firstGood.set(part.perQuery.firstGoodRank, start);
      topIndex.set(part.perQuery.topIndices, start * topK);
      for (let i = 0; i < n; i++) for (let k = 0; k < topK; k++) topDistance[(start + i) * topK + k] = d[i * g.count + part.perQuery.topIndices[i * topK + k]];
      ctx.progress({ step: `ranking ${start + n}/${q.count}`, fraction: (start + n) / q.count });
    }
    gT.dispose();
    const cmc = cmcFromFirstGoodRanks(firstGood, Math.min(50, g.count));
    let apSum = 0;
    let withoutGood = 0;
    for (let i = 0; i < q.count; i++) {
      apSum += ap[i];
      if (firstGood[i] === 0) withoutGood++;
    }
    const metrics: ReidMetrics = {
      rank1: cmcAt(cmc, 1),
      rank5: cmcAt(cmc, 5),
      rank10: cmcAt(cmc, 10),
      rank20: cmcAt(cmc, 20),
      mAP: q.count === 0 ? 0 : apSum / q.count,
      cmc: Array.from(cmc),
      queries: q.count,
      queriesWithoutGood: withoutGood,
      gallery: g.count,
    };
    const dir = path.join(ctx.jobDir, 'eval');
    mkdirSync(dir, { recursive: true });
    const ranking: RankingFile = {
      version: 1,
      modelId: p.modelId,
      queryDatasetId: p.queryDatasetId,
      galleryDatasetId: p.galleryDatasetId,
      topK,
      featureDim: qf.dim,
      query: qLabels,
      gallery: gLabels,
      ap: Array.from(ap),
      firstGoodRank: Array.from(firstGood),
    };
    const rankingFile = writeEvalFiles(dir, ranking, topIndex, topDistance, qf.data, gf.data);
    const tRanking = (Date.now() - t1) / 1000;
    ctx.log(`rank-1 ${(metrics.rank1 * 100).toFixed(2)}%, mAP ${(metrics.mAP * 100).toFixed(2)}% (${withoutGood} queries without a good match).`);
    return { metrics, modelId: p.modelId, queryDatasetId: p.queryDatasetId, galleryDatasetId: p.galleryDatasetId, rankingFile, seconds: { features: tFeatures, ranking: tRanking }, backend: engine.backend };
  } finally {
    disposeModel(model);
  }
}
