import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { findAlongChain } from '../core/jobs/job-store.ts';
import { jobFolder } from '../core/workspace.ts';
import type { SpganConfig } from '../common/contract/spgan.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';
import { openDatasetReader } from '../datasets/reader.ts';
import type { DatasetReader } from '../datasets/reader.ts';
import { startEngine } from '../engine/start.ts';
import { SpganModel } from './spgan-model.ts';
import type { SpganLosses } from './spgan-model.ts';
import { toNetInput, fromNetOutput, writePng } from './images.ts';
import { Rng, shuffled } from '../common/random.ts';
import { saveTensors, loadTensors, assignVariables } from './tensor-file.ts';

export interface SampleFile {
  direction: 'AtoB' | 'BtoA';
  sampleId: number;
  personId: number | null;
  camera: number | null;
  /** Relative to the job folder. */
  file: string;
}

/** What the job process asks the writer to record after every epoch. */
export interface EpochRecord {
  epoch: number;
  checkpointBase: string;
  samples: SampleFile[];
  losses: SpganLosses;
}

export interface SpganTrainResult {
  epochs: number;
  firstEpoch: number;
  lastLosses: SpganLosses | null;
  secondsPerEpoch: number[];
  sourceImages: number;
  targetImages: number;
  backend: string;
}

interface RunState {
  epoch: number;
  rngState: number;
  checkpointBase: string;
}

const STATE_FILE = 'spgan-state.json';

/**
 * The newest state file along the resume chain: the job being resumed may
 * itself have been a resume that stopped before finishing an epoch, so walk
 * up parent_job_id until a job folder with a complete epoch is found.
 */
function findResumeState(ctx: JobRunContext<SpganConfig>): string | null {
  const direct = path.join(ctx.resume!.fromJobDir, STATE_FILE);
  if (existsSync(direct)) return direct;
  return findAlongChain(ctx.readDb(), ctx.resume!.fromJobId, (id) => jobFolder(ctx.workspaceDir, id), (dir) => {
    const file = path.join(dir, STATE_FILE);
    return existsSync(file) ? file : null;
  });
}

/** Indices of `count` samples spread over distinct persons (one image each), stable across epochs. */
export function pickSampleIndices(reader: DatasetReader, count: number): number[] {
  const firstOfPerson = new Map<number, number>();
  for (let i = 0; i < reader.count; i++) {
    const key = reader.labels[i] ?? -1;
    if (!firstOfPerson.has(key)) firstOfPerson.set(key, i);
  }
  const candidates = [...firstOfPerson.values()];
  if (candidates.length < count) {
    for (let i = 0; i < reader.count && candidates.length < count; i++) if (!candidates.includes(i)) candidates.push(i);
  }
  const n = Math.min(count, candidates.length);
  const step = candidates.length / Math.max(1, n);
  return Array.from({ length: n }, (_, k) => candidates[Math.floor(k * step)]);
}

async function splitReader(ctx: JobRunContext<SpganConfig>, datasetId: number, size: [number, number]): Promise<DatasetReader> {
  const db = ctx.readDb();
  const hasTrain = db.prepare("SELECT 1 FROM samples WHERE dataset_id = ? AND split = 'train' LIMIT 1").get(datasetId) !== undefined;
  return openDatasetReader(db, datasetId, { ...(hasTrain ? { split: 'train' } : {}), size, channels: 3, labelBy: 'person' });
}

async function saveCheckpoint(model: SpganModel, base: string, epoch: number): Promise<void> {
  const tensors = [...model.variables()].map(([name, tensor]) => ({ name, tensor: tensor as tf.Tensor }));
  // Adam moments and step counts, so a resumed run continues the same optimisation.
  for (const [prefix, opt] of [['optG', model.optG], ['optD', model.optD], ['optS', model.optS]] as const) {
    for (const w of await opt.getWeights()) tensors.push({ name: `${prefix}:${w.name}`, tensor: w.tensor });
  }
  // The discriminators' image history, so a resumed run draws the same fakes as an uninterrupted one.
  for (const [prefix, pool] of [['poolA', model.poolA], ['poolB', model.poolB]] as const) {
    pool.stored().forEach((tensor, i) => tensors.push({ name: `${prefix}:${String(i).padStart(4, '0')}`, tensor }));
  }
  await saveTensors(base, tensors, { epoch, config: model.config });
}

async function restoreCheckpoint(model: SpganModel, base: string): Promise<void> {
  const file = loadTensors(base);
  assignVariables(file, model.variables(), `checkpoint ${base}`);
  for (const [prefix, opt] of [['optG', model.optG], ['optD', model.optD], ['optS', model.optS]] as const) {
    const named = file
      .names()
      .filter((n) => n.startsWith(`${prefix}:`))
      .map((n) => {
        const e = file.get(n)!;
        return { name: n.slice(prefix.length + 1), tensor: tf.tensor(e.data, e.shape) };
      });
    if (named.length > 0) await opt.setWeights(named);
  }
  // Checkpoints written before the pools were saved have none: the pools then start empty, as before.
  for (const [prefix, pool] of [['poolA', model.poolA], ['poolB', model.poolB]] as const) {
    const images = file
      .names()
      .filter((n) => n.startsWith(`${prefix}:`))
      .sort()
      .map((n) => {
        const e = file.get(n)!;
        return tf.tensor3d(e.data as Float32Array, e.shape as [number, number, number]); // stored as [H, W, C]
      });
    pool.restore(images);
  }
}

async function writeSamples(
  model: SpganModel,
  reader: DatasetReader,
  indices: number[],
  direction: 'AtoB' | 'BtoA',
  dir: string,
  jobDir: string,
): Promise<SampleFile[]> {
  if (indices.length === 0) return [];
  const [h, w] = [reader.height, reader.width];
  const pixels = await reader.read(indices);
  const x = toNetInput(pixels, indices.length, h, w);
  const y = model.translate(x, direction);
  const out = await fromNetOutput(y);
  tf.dispose([x, y]);
  const files: SampleFile[] = [];
  for (let k = 0; k < indices.length; k++) {
    const meta = reader.meta(indices[k]);
    const file = path.join(dir, `${direction}-${meta.sampleId}.png`);
    await writePng(file, out.subarray(k * h * w * 3, (k + 1) * h * w * 3), h, w);
    files.push({ direction, sampleId: meta.sampleId, personId: meta.personId, camera: meta.camera, file: path.relative(jobDir, file) });
  }
  return files;
}

/** Trains SPGAN (or CycleGAN with other weights) between two datasets; see SpganModel for the variant. */
export default async function run(ctx: JobRunContext<SpganConfig>): Promise<SpganTrainResult> {
  const config = ctx.params;
  const engine = await startEngine();
  ctx.log(`Engine: ${engine.backend} (${engine.threads} thread(s)).`);
  const size = config.imageSize;
  ctx.progress({ step: 'loading datasets', fraction: 0 });
  const readerA = await splitReader(ctx, config.sourceDatasetId, size);
  const readerB = await splitReader(ctx, config.targetDatasetId, size);
  ctx.log(`Source: ${readerA.count} images of ${readerA.numClasses} persons; target: ${readerB.count} images; ${size[0]}x${size[1]}.`);

  const rng = new Rng(config.seed);
  const model = new SpganModel(config, rng.fn());
  let firstEpoch = 1;
  try {
    const resumeState = ctx.resume ? findResumeState(ctx) : null;
    if (resumeState) {
      const state = JSON.parse(readFileSync(resumeState, 'utf8')) as RunState;
      await restoreCheckpoint(model, state.checkpointBase);
      rng.setState(state.rngState);
      firstEpoch = state.epoch + 1;
      ctx.log(`Resumed after epoch ${state.epoch} from job ${ctx.resume!.fromJobId}.`);
    }

    const sampleA = pickSampleIndices(readerA, config.sampleCount);
    const sampleB = pickSampleIndices(readerB, config.sampleCount);
    const perEpoch = config.imagesPerEpoch > 0 ? Math.min(config.imagesPerEpoch, readerA.count) : readerA.count;
    const steps = Math.max(1, Math.ceil(perEpoch / config.batchSize));
    const [h, w] = size;
    const secondsPerEpoch: number[] = [];
    let lastLosses: SpganLosses | null = null;

    for (let epoch = firstEpoch; epoch <= config.epochs; epoch++) {
      const t0 = Date.now();
      const order = shuffled(readerA.count, rng.fn()).slice(0, perEpoch);
      const sums: Record<string, number> = {};
      const contrastiveOn = epoch >= config.contrastiveFromEpoch;
      for (let s = 0; s < steps; s++) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const idxA = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
        if (idxA.length === 0) break;
        const idxB = idxA.map(() => Math.floor(rng.next() * readerB.count));
        const flips = (): boolean[] => idxA.map(() => config.flip && rng.next() < 0.5);
        const a = toNetInput(await readerA.read(idxA), idxA.length, h, w, flips());
        const b = toNetInput(await readerB.read(idxB), idxB.length, h, w, flips());
        const losses = model.trainStep(a, b, contrastiveOn);
        tf.dispose([a, b]);
        for (const [k, v] of Object.entries(losses)) {
          if (!Number.isFinite(v)) throw new Error(`Loss ${k} became ${v} at epoch ${epoch}, step ${s + 1}; lower the learning rate.`);
          sums[k] = (sums[k] ?? 0) + v;
        }
        const done = (epoch - firstEpoch) * steps + s + 1;
        const total = (config.epochs - firstEpoch + 1) * steps;
        const elapsed = (Date.now() - t0) / 1000;
        const ips = ((s + 1) * config.batchSize) / Math.max(elapsed, 1e-3);
        ctx.progress({ step: `epoch ${epoch}/${config.epochs}, step ${s + 1}/${steps}`, fraction: done / total, throughput: { value: ips, unit: 'img/s' }, etaSeconds: ((total - done) * config.batchSize) / ips });
      }
      const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps])) as SpganLosses;
      lastLosses = means;
      const seconds = (Date.now() - t0) / 1000;
      secondsPerEpoch.push(seconds);
      const points: MetricPoint[] = Object.entries(means).map(([name, value]) => ({ step: epoch, epoch, name, value }));
      points.push({ step: epoch, epoch, name: 'seconds_per_epoch', value: seconds });
      ctx.metrics(points);

      const sampleDir = path.join(ctx.jobDir, 'samples', `epoch-${String(epoch).padStart(3, '0')}`);
      mkdirSync(sampleDir, { recursive: true });
      const samples = [
        ...(await writeSamples(model, readerA, sampleA, 'AtoB', sampleDir, ctx.jobDir)),
        ...(await writeSamples(model, readerB, sampleB, 'BtoA', sampleDir, ctx.jobDir)),
      ];
      mkdirSync(path.join(ctx.jobDir, 'checkpoints'), { recursive: true });
      const checkpointBase = path.join(ctx.jobDir, 'checkpoints', `epoch-${String(epoch).padStart(3, '0')}`);
      await saveCheckpoint(model, checkpointBase, epoch);
      const state: RunState = { epoch, rngState: rng.state(), checkpointBase };
      writeFileSync(path.join(ctx.jobDir, STATE_FILE + '.tmp'), JSON.stringify(state));
      // Rename after the checkpoint is complete: a resume never sees a state without its weights.
      renameSync(path.join(ctx.jobDir, STATE_FILE + '.tmp'), path.join(ctx.jobDir, STATE_FILE));
      const record: EpochRecord = { epoch, checkpointBase, samples, losses: means };
      await ctx.record('epoch', record);
      ctx.log(`Epoch ${epoch}: ${Object.entries(means).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')} (${seconds.toFixed(1)} s).`);
    }
    return {
      epochs: config.epochs,
      firstEpoch,
      lastLosses,
      secondsPerEpoch,
      sourceImages: readerA.count,
      targetImages: readerB.count,
      backend: engine.backend,
    };
  } finally {
    model.dispose();
  }
}
