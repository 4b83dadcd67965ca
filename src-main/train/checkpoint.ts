/**
 * Training checkpoints: `checkpoints/epoch-NNNN/` holds the model in the
 * model file format (nn/model-file.ts) whose `meta` carries the run state,
 * plus `optimizer.bin` (momentum buffers). `optimizer.bin` is written first
 * and its SHA-256 stored in model.json, which is renamed into place last:
 * a checkpoint is complete exactly when its model.json loads.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../nn/forward.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import type { Sgd } from './sgd.ts';

export interface RunState {
  /** Epochs completed. */
  epoch: number;
  history: Record<string, number | null>[];
  pruneRates: { epoch: number; rate: number }[];
  trainSeconds: number;
}

interface OptimizerEntry {
  name: string;
  shape: number[];
  offset: number;
}

export function checkpointDir(jobDir: string, epoch: number): string {
  return path.join(jobDir, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}`);
}

export async function saveCheckpoint(dir: string, model: Model, sgd: Sgd, state: RunState): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const entries: OptimizerEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, buf] of sgd.buffers) {
    const data = (await buf.data()) as Float32Array;
    chunks.push(Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    entries.push({ name, shape: buf.shape, offset });
    offset += data.byteLength;
  }
  const bin = Buffer.concat(chunks);
  writeFileSync(path.join(dir, 'optimizer.bin.tmp'), bin);
  renameSync(path.join(dir, 'optimizer.bin.tmp'), path.join(dir, 'optimizer.bin'));
  await saveModel(model, dir, { kind: 'checkpoint', state, optimizer: { entries, sha256: createHash('sha256').update(bin).digest('hex'), byteLength: bin.byteLength } });
}

/** The newest complete checkpoint of a job folder, or null. Incomplete or corrupt ones are skipped. */
export function latestCheckpoint(jobDir: string): { dir: string; epoch: number } | null {
  const root = path.join(jobDir, 'checkpoints');
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root)
    .filter((d) => /^epoch-\d+$/.test(d) && existsSync(path.join(root, d, 'model.json')))
    .sort()
    .reverse();
  const first = dirs[0];
  return first ? { dir: path.join(root, first), epoch: Number(first.slice(6)) } : null;
}

/** Loads a checkpoint: model, momentum buffers (into `sgd`) and run state. Throws with the file named when anything is off. */
export function loadCheckpoint(dir: string, sgd: Sgd): { model: Model; state: RunState } {
  const { model, manifest } = loadModel(dir);
  const meta = manifest.meta as { state?: RunState; optimizer?: { entries: OptimizerEntry[]; sha256: string; byteLength: number } };
  if (!meta.state || !meta.optimizer) throw new Error(`${dir}: not a training checkpoint (no run state).`);
  const bin = readFileSync(path.join(dir, 'optimizer.bin'));
  if (bin.byteLength !== meta.optimizer.byteLength || createHash('sha256').update(bin).digest('hex') !== meta.optimizer.sha256) {
    throw new Error(`${path.join(dir, 'optimizer.bin')}: does not match its checkpoint (corrupt).`);
  }
  const aligned = new Float32Array(bin.byteLength / 4);
  new Uint8Array(aligned.buffer).set(bin);
  sgd.dispose();
  for (const e of meta.optimizer.entries) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(aligned.subarray(e.offset / 4, e.offset / 4 + size), e.shape, 'float32');
    sgd.buffers.set(e.name, tf.variable(t, false));
    t.dispose();
  }
  return { model, state: meta.state };
}
