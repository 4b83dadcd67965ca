import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobRunner } from '../core/jobs/spec.ts';
import type { ImportParams } from '../common/contract/models.ts';
import { modelNames } from '../common/contract/models.ts';
import { initEngine } from '../engine/init.ts';
import { forward } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { checkModelLimits, loadModel, MODEL_JSON, WEIGHTS_BIN } from '../nn/model-file.ts';
import type { GraphSpec } from '../nn/graph.ts';
import { sha256File } from '../core/artifacts.ts';
import { readLimits } from '../core/settings.ts';

export interface ImportResult {
  name: string;
  arch: string;
  spec: GraphSpec;
  /** Workspace-relative folder holding the imported copy. */
  dir: string;
  method: string | null;
  rate: number | null;
  metrics: Record<string, unknown>;
  source: string;
  files: { path: string; sha256: string; sizeBytes: number; role: 'manifest' | 'weights' }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a model folder completely (manifest, graph wiring, known
 * architecture, every weight's name and shape, size and SHA-256, and a finite
 * forward pass), and only then copies it into the job folder. A refused model
 * leaves nothing behind: the job fails before any file or row is written.
 */
const run: JobRunner<ImportParams, ImportResult> = async (ctx) => {
  const { path: source } = ctx.params;
  ctx.progress({ fraction: 0, step: 'Validating the model folder' });
  const limits = readLimits(ctx.readDb());
  // The manifest, the input size and the weights file are checked before the engine starts or a tensor exists.
  checkModelLimits(source, limits);
  await initEngine();
  const { model, manifest } = loadModel(source, { knownArchs: modelNames, limits });
  try {
    const { height, width, channels } = model.spec.input;
    const finite = tf.tidy(() => {
      const logits = forward(model, tf.zeros([1, height, width, channels]) as tf.Tensor4D, { training: false }).logits;
      return tf.all(tf.isFinite(logits)).dataSync()[0] === 1;
    });
    if (!finite) throw new Error(`${path.join(source, WEIGHTS_BIN)}: the weights give non-finite outputs (NaN or infinity); refusing the model.`);
  } finally {
    disposeModel(model);
  }
  ctx.signal.throwIfAborted();

  ctx.progress({ fraction: 0.5, step: 'Copying into the workspace' });
  const target = path.join(ctx.jobDir, 'model');
  const staging = target + '.partial';
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    for (const f of [WEIGHTS_BIN, MODEL_JSON]) copyFileSync(path.join(source, f), path.join(staging, f));
    // The copy must be the file that was validated (the source could change underneath).
    if ((await sha256File(path.join(staging, WEIGHTS_BIN))) !== manifest.sha256) throw new Error(`${source}: the weights changed while importing.`);
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }

  const meta = manifest.meta;
  const files: ImportResult['files'] = [];
  for (const [file, role] of [
    [MODEL_JSON, 'manifest'],
    [WEIGHTS_BIN, 'weights'],
  ] as const) {
    const abs = path.join(target, file);
    files.push({ path: path.relative(ctx.workspaceDir, abs), sha256: await sha256File(abs), sizeBytes: statSync(abs).size, role });
  }
  ctx.progress({ fraction: 1, step: 'Done' });
  return {
    name: ctx.params.name ?? (typeof meta.name === 'string' ? meta.name : path.basename(path.resolve(source))),
    arch: manifest.spec.arch,
    spec: manifest.spec,
    dir: path.relative(ctx.workspaceDir, target),
    method: typeof meta.method === 'string' ? meta.method : null,
    rate: typeof meta.rate === 'number' ? meta.rate : null,
    metrics: isRecord(meta.metrics) ? meta.metrics : {},
    source: path.resolve(source),
    files,
  };
};

export default run;
