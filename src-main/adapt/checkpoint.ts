/**
 * `adapt.train` checkpoints, one per epoch, in the training job's layout
 * (`checkpoints/epoch-NNNN/`, train/checkpoint.ts): the classifier in the
 * model file format, whose `meta` carries the run state, plus `state.bin`,
 * every other tensor the next epoch needs by name: the classifier's momentum
 * (`sgd/<weight>`), DANN's domain classifier (`head/<w1|b1|w2|b2>`) and its
 * momentum (`head-sgd/<...>`), and DAAA's EM posteriors for the next epoch
 * (`em/posteriors`, [target images x classes]). `state.bin` is written first
 * and its SHA-256 kept in model.json, which is renamed into place last: a
 * checkpoint is complete exactly when its model.json loads
 * (`latestCheckpoint` finds the newest such folder).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { AdaptEpoch } from '../common/contract/adapt.ts';
import type { Model } from '../nn/forward.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import { disposeModel } from '../nn/init.ts';

export { checkpointDir, latestCheckpoint } from '../train/checkpoint.ts';

export const STATE_BIN = 'state.bin';

/** What a checkpoint's model.json says of the run beside the weights. */
export interface AdaptRunState {
  /** Epochs completed. */
  epoch: number;
  history: AdaptEpoch[];
  /** DAAA: the EM target prior behind `em/posteriors` (the labels the next epoch trains on), and its iterations; null otherwise. */
  em: { prior: number[]; iterations: number } | null;
  /** The method and seed the checkpoint was written by: a resume with other ones is refused. */
  method: string;
  seed: number;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

interface StateFile {
  entries: TensorEntry[];
  sha256: string;
  byteLength: number;
}

/** Writes `state.bin` (the named tensors), then the model with the run state; model.json last. */
export async function saveAdaptCheckpoint(dir: string, model: Model, tensors: ReadonlyMap<string, tf.Tensor | { data: Float32Array; shape: number[] }>, state: AdaptRunState): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const data = t instanceof tf.Tensor ? ((await t.data()) as Float32Array) : t.data;
    chunks.push(Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    entries.push({ name, shape: [...t.shape], offset });
    offset += data.byteLength;
  }
  const bin = Buffer.concat(chunks);
  writeFileSync(path.join(dir, `${STATE_BIN}.tmp`), bin);
  renameSync(path.join(dir, `${STATE_BIN}.tmp`), path.join(dir, STATE_BIN));
  const file: StateFile = { entries, sha256: createHash('sha256').update(bin).digest('hex'), byteLength: bin.byteLength };
  await saveModel(model, dir, { kind: 'adapt-checkpoint', state, tensors: file });
}

export interface LoadedAdaptCheckpoint {
  model: Model;
  state: AdaptRunState;
  /** Every tensor of `state.bin` by name, as plain arrays (the caller makes variables of what it keeps). */
  tensors: Map<string, { data: Float32Array; shape: number[] }>;
}

/** Loads a checkpoint; throws naming the file when it is not an adaptation checkpoint or its state file does not match. */
export function loadAdaptCheckpoint(dir: string): LoadedAdaptCheckpoint {
  const { model, manifest } = loadModel(dir);
  const meta = manifest.meta as { kind?: string; state?: AdaptRunState; tensors?: StateFile };
  const fail = (message: string): never => {
    disposeModel(model);
    throw new Error(message);
  };
  if (meta.kind !== 'adapt-checkpoint' || !meta.state || !meta.tensors) return fail(`${path.join(dir, 'model.json')}: not an adaptation checkpoint (no run state).`);
  const binPath = path.join(dir, STATE_BIN);
  let bin: Buffer;
  try {
    bin = readFileSync(binPath);
  } catch {
    return fail(`${binPath}: missing.`);
  }
  if (bin.byteLength !== meta.tensors.byteLength || createHash('sha256').update(bin).digest('hex') !== meta.tensors.sha256) {
    return fail(`${binPath}: does not match its checkpoint (corrupt).`);
  }
  const aligned = new Float32Array(bin.byteLength / 4);
  new Uint8Array(aligned.buffer).set(bin);
  const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const e of meta.tensors.entries) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { data: aligned.slice(e.offset / 4, e.offset / 4 + size), shape: e.shape });
  }
  return { model, state: meta.state, tensors };
}
