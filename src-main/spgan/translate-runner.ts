import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { SpganTranslateParams } from '../common/contract/spgan.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import { startEngine } from '../engine/start.ts';
import { ResnetGenerator } from './nets/generator.ts';
import { toNetInput, fromNetOutput, writePng } from './images.ts';
import { loadTensors, assignVariables } from './tensor-file.ts';
import { findRunCheckpoint } from './translation-store.ts';
import type { TranslatedItem, TranslationOutcome } from './translation-store.ts';

/**
 * Translates a dataset with a run's source -> target generator G. Images go to
 * `<job folder>/translated/<split>/`; the dataset rows are written by the
 * spec's onComplete in the job-success transaction. On failure or cancel the
 * folder is removed, so nothing half-written stays behind.
 */
export default async function run(ctx: JobRunContext<SpganTranslateParams>): Promise<TranslationOutcome> {
  const p = ctx.params;
  const engine = await startEngine();
  const db = ctx.readDb();
  const ckpt = findRunCheckpoint(db, p.runJobId, p.epoch, 'runJobId');
  const config = ckpt.config;
  const size = config.imageSize;
  const source = db.prepare('SELECT name FROM datasets WHERE id = ?').get(p.datasetId) as { name: string };
  const reader = await openDatasetReader(db, p.datasetId, { ...(p.splits ? { split: p.splits } : {}), size, channels: 3, labelBy: 'person' });
  ctx.log(`Translating ${reader.count} images of "${source.name}" with run ${p.runJobId} epoch ${ckpt.epoch} at ${size[0]}x${size[1]} (${engine.backend}).`);

  const G = new ResnetGenerator('G_AtoB', config.generatorWidth, config.residualBlocks, 0);
  const rootDir = path.join(ctx.jobDir, 'translated');
  try {
    // Build G's weights with one forward pass, then load the checkpoint into them.
    tf.tidy(() => G.apply(tf.zeros([1, size[0], size[1], 3]) as tf.Tensor4D));
    assignVariables(loadTensors(ckpt.base), G.params.all(), `run ${p.runJobId} epoch ${ckpt.epoch}`);
    const sampleRows = db.prepare('SELECT id, label, sequence, frame FROM samples WHERE dataset_id = ?').all(p.datasetId) as { id: number; label: number | null; sequence: number | null; frame: number | null }[];
    const extra = new Map(sampleRows.map((r) => [r.id, r]));
    const used = new Set<string>();
    const items: TranslatedItem[] = [];
    const [h, w] = size;
    const t0 = Date.now();
    for (let start = 0; start < reader.count; start += p.batchSize) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      const idx = Array.from({ length: Math.min(p.batchSize, reader.count - start) }, (_, k) => start + k);
      const x = toNetInput(await reader.read(idx), idx.length, h, w);
      const y = tf.tidy(() => G.apply(x));
      const out = await fromNetOutput(y);
      tf.dispose([x, y]);
      for (let k = 0; k < idx.length; k++) {
        const meta = reader.meta(idx[k]);
        const folder = meta.split ?? 'all';
        const stem = path.parse(meta.path).name;
        let rel = `${folder}/${stem}.png`;
        if (used.has(rel)) rel = `${folder}/${stem}_${meta.sampleId}.png`;
        used.add(rel);
        const abs = path.join(rootDir, rel);
        mkdirSync(path.dirname(abs), { recursive: true });
        await writePng(abs, out.subarray(k * h * w * 3, (k + 1) * h * w * 3), h, w);
        const st = statSync(abs);
        const row = extra.get(meta.sampleId);
        items.push({
          sourceSampleId: meta.sampleId,
          file: rel,
          split: meta.split,
          label: row?.label ?? null,
          personId: meta.personId,
          camera: meta.camera,
          sequence: row?.sequence ?? meta.sequence,
          frame: row?.frame ?? meta.frame,
          sizeBytes: st.size,
          mtimeMs: Math.floor(st.mtimeMs),
        });
      }
      const done = start + idx.length;
      const ips = done / Math.max((Date.now() - t0) / 1000, 1e-3);
      ctx.progress({ step: `translated ${done}/${reader.count}`, fraction: done / reader.count, throughput: { value: ips, unit: 'img/s' }, etaSeconds: (reader.count - done) / ips });
    }
    return {
      rootDir,
      name: p.name ?? `${source.name} -> SPGAN #${p.runJobId} (epoch ${ckpt.epoch})`,
      sourceDatasetId: p.datasetId,
      targetDatasetId: config.targetDatasetId,
      runJobId: p.runJobId,
      epoch: ckpt.epoch,
      imageSize: size,
      config,
      items,
    };
  } catch (err) {
    rmSync(rootDir, { recursive: true, force: true });
    throw err;
  } finally {
    G.params.dispose();
  }
}
