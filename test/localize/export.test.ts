import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../src-main/engine/start.ts';
import { localizeGenerateJob, localizeTrainJob } from '../../src-main/localize/jobs.ts';
import { modelsJobSpecs } from '../../src-main/models/jobs.ts';
import { loadWorkspaceModel } from '../../src-main/models/workspace-model.ts';
import { openOnnxSession, runOnnxOutputs } from '../../src-main/models/export/onnx/onnx-session.ts';
import { loadLayersModelFromFolder } from '../../src-main/models/export/tfjs/layers-files.ts';
import type { ExportResult } from '../../src-main/models/export/export-runner.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { CAM_MAPS } from '../../src-main/localize/head.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addObjectDataset } from './helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let modelId = 0;

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  const objectsId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 6, 12);
  const gen = await runDirect(env.ws, localizeGenerateJob, { objectDatasetId: objectsId, recipe: 'cluttered', canvas: 32, fragments: 2, train: 9, val: 3, test: 3, seed: 4 });
  const setId = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(gen.jobId) as { id: number }).id;
  const train = await runDirect(env.ws, localizeTrainJob, { datasetId: setId, method: 'spg', arch: 'resnet20', widthMultiplier: 0.25, epochs: 1, batchSize: 9, spg: { branchChannels: 4 } });
  modelId = (env.ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(train.jobId) as { id: number }).id;
}, 120_000);

afterAll(() => env?.cleanup());

/** A deterministic input batch [2,32,32,1] in the range of normalised images. */
function inputBatch(): { data: Float32Array; shape: [number, number, number, number] } {
  const data = new Float32Array(2 * 32 * 32);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 1.5;
  return { data, shape: [2, 32, 32, 1] };
}

/** The workbench's own class maps [2,8,8,3] of the model on the batch. */
function workbenchMaps(): Float32Array {
  const { model } = loadWorkspaceModel(env.ws.db, env.ws.dir, modelId);
  try {
    const x = inputBatch();
    return tf.tidy(() => forward(model, tf.tensor4d(x.data, x.shape), { training: false, taps: [CAM_MAPS] }).nodes!.get(CAM_MAPS)!.dataSync() as Float32Array);
  } finally {
    disposeModel(model);
  }
}

/** Max |a - b| over two arrays of one length. */
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('exporting a localization model with its class maps', () => {
  it('ONNX (NHWC and NCHW) and TF.js carry class_maps beside the logits, verified, equal to the workbench maps; their spatial mean is the logits', async () => {
    const exportJob = modelsJobSpecs.find((s) => s.kind === 'models.export')!;
    const expected = workbenchMaps();
    const x = inputBatch();

    for (const inputLayout of ['nhwc', 'nchw'] as const) {
      const exp = await runDirect(env.ws, exportJob, { modelId, format: 'onnx', inputLayout });
      const r = exp.result as ExportResult;
      expect(r.outputs).toEqual(['logits', 'class_maps']);
      expect(r.verification!.ok).toBe(true);
      expect(r.verification!.classMaps!.ok).toBe(true);
      const session = await openOnnxSession(env.ws.resolve(r.files[0]!.path));
      const input = inputLayout === 'nhwc' ? x : { data: tf.tidy(() => tf.transpose(tf.tensor4d(x.data, x.shape), [0, 3, 1, 2]).dataSync() as Float32Array), shape: [2, 1, 32, 32] };
      const out = await runOnnxOutputs(session, { data: input.data, dims: input.shape });
      await session.release();
      const maps = out.class_maps!;
      // resnet20 keeps 1/4 of 32 px: 8 x 8 maps, one per class (3).
      expect([...maps.dims]).toEqual(inputLayout === 'nhwc' ? [2, 8, 8, 3] : [2, 3, 8, 8]);
      const nhwc = inputLayout === 'nhwc' ? maps.data : tf.tidy(() => tf.transpose(tf.tensor4d(maps.data, [2, 3, 8, 8]), [0, 2, 3, 1]).dataSync() as Float32Array);
      expect(maxDiff(nhwc, expected)).toBeLessThan(1e-4);
      // CAM: the logits are the global average of the class maps.
      const mean = tf.tidy(() => tf.mean(tf.tensor4d(nhwc, [2, 8, 8, 3]), [1, 2]).dataSync() as Float32Array);
      expect(maxDiff(mean, out.logits!.data)).toBeLessThan(1e-4);
    }

    const exp = await runDirect(env.ws, exportJob, { modelId, format: 'tfjs' });
    const r = exp.result as ExportResult;
    expect(r.outputs).toEqual(['logits', 'class_maps']);
    expect(r.verification!.classMaps!.ok).toBe(true);
    const layers = await loadLayersModelFromFolder(path.dirname(env.ws.resolve(r.files[0]!.path)));
    try {
      const outs = tf.tidy(() => (layers.predict(tf.tensor4d(x.data, x.shape)) as tf.Tensor[]).map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array })));
      expect(outs.map((o) => o.shape)).toEqual([[2, 3], [2, 8, 8, 3]]);
      expect(maxDiff(outs[1]!.data, expected)).toBeLessThan(1e-4);
    } finally {
      layers.dispose();
    }
  }, 180_000);

  it('a model whose file predates the class-map output (spec without outputs.classMaps) still exports class_maps, found from its graph', async () => {
    // The same model, saved as older jobs saved it: the spec names the logits only.
    const row = env.ws.db.prepare('SELECT dir FROM models WHERE id = ?').get(modelId) as { dir: string };
    const oldDir = `${row.dir}-old-file`;
    cpSync(env.ws.resolve(row.dir), env.ws.resolve(oldDir), { recursive: true });
    const file = path.join(env.ws.resolve(oldDir), 'model.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { spec: { outputs: Record<string, string> } };
    expect(manifest.spec.outputs.classMaps).toBe(CAM_MAPS);
    delete manifest.spec.outputs.classMaps;
    writeFileSync(file, JSON.stringify(manifest));
    const cols = (env.ws.db.prepare('PRAGMA table_info(models)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id' && c !== 'name' && c !== 'dir');
    const oldId = Number(
      env.ws.db.prepare(`INSERT INTO models (name, dir, ${cols.join(', ')}) SELECT name || ' (old file)', ?, ${cols.join(', ')} FROM models WHERE id = ?`).run(oldDir, modelId).lastInsertRowid,
    );

    const exportJob = modelsJobSpecs.find((s) => s.kind === 'models.export')!;
    const exp = await runDirect(env.ws, exportJob, { modelId: oldId, format: 'onnx', inputLayout: 'nhwc' });
    const r = exp.result as ExportResult;
    expect(r.outputs).toEqual(['logits', 'class_maps']);
    expect(r.verification!.classMaps!.ok).toBe(true);
    const session = await openOnnxSession(env.ws.resolve(r.files[0]!.path));
    const x = inputBatch();
    const out = await runOnnxOutputs(session, { data: x.data, dims: x.shape });
    await session.release();
    expect([...out.class_maps!.dims]).toEqual([2, 8, 8, 3]);
    expect(maxDiff(out.class_maps!.data, workbenchMaps())).toBeLessThan(1e-4);
  }, 120_000);
});
