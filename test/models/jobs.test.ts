import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { LatencyRecord } from '../../src-main/common/contract/models.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { loadLayersModelFromFolder } from '../../src-main/models/export/tfjs/layers-files.ts';
import { openOnnxSession, runOnnx } from '../../src-main/models/export/onnx/onnx-session.ts';
import { compareOutputs } from '../../src-main/models/export/verify.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { addWorkspaceModel } from './workspace-models.ts';
import { randomArray, randomiseNonConvWeights } from './helpers.ts';

interface ArtifactRow {
  kind: string;
  path: string;
  size_bytes: number;
  sha256: string;
  job_id: number;
  model_id: number;
  meta: string;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Export, latency and import jobs through real job processes, on a real temp workspace. */
describe('export, latency and import jobs', () => {
  let ws: Workspace;
  let jobs: JobManager;
  let cleanup: () => void;
  let root: string;
  let modelId: number;
  let logits: Float32Array;
  const input = randomArray(2 * 8 * 8 * 3, 17);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const t = tempDir();
    cleanup = t.cleanup;
    root = t.dir;
    ws = Workspace.open(path.join(root, 'ws'));
    jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
    const model = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.5 }, 3);
    randomiseNonConvWeights(model, 4);
    logits = tf.tidy(() => forward(model, tf.tensor4d(input, [2, 8, 8, 3]), { training: false }).logits.dataSync() as Float32Array);
    modelId = await addWorkspaceModel(ws, model, { name: 'small resnet20', method: 'baseline', metrics: { accuracy: 0.5 } });
    disposeModel(model);
  });
  afterAll(async () => {
    await jobs.close();
    ws.close();
    cleanup();
  });

  const run = async (kind: string, params: unknown): Promise<{ id: number; status: string; error: string | null; result: unknown }> => {
    const done = await jobs.waitFor(jobs.submit(kind, params, { backend: 'cpu' }).id);
    const row = ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(done.id) as { result: string | null };
    return { id: done.id, status: done.status, error: done.error, result: row.result === null ? null : JSON.parse(row.result) };
  };
  const artifactsOf = (jobId: number): ArtifactRow[] => ws.db.prepare('SELECT * FROM artifacts WHERE job_id = ? ORDER BY id').all(jobId) as ArtifactRow[];

  it('exports ONNX: one export-onnx artifact with its real size and sha256, a copy in --out, and the same outputs', async () => {
    const out = path.join(root, 'out-onnx');
    const job = await run('models.export', { modelId, format: 'onnx', outDir: out });
    expect(job.status, job.error ?? '').toBe('succeeded');
    const rows = artifactsOf(job.id);
    expect(rows).toHaveLength(1);
    const file = ws.resolve(rows[0]!.path);
    expect(rows[0]).toMatchObject({ kind: 'export-onnx', model_id: modelId, size_bytes: statSync(file).size, sha256: sha256(file) });
    expect(path.basename(file)).toBe('small_resnet20.onnx');
    expect(sha256(path.join(out, 'small_resnet20.onnx'))).toBe(rows[0]!.sha256);
    expect(JSON.parse(rows[0]!.meta).verification.ok).toBe(true);
    const session = await openOnnxSession(path.join(out, 'small_resnet20.onnx'), { threads: 1 });
    const y = await runOnnx(session, { data: input, dims: [2, 8, 8, 3] });
    await session.release();
    expect(compareOutputs(logits, y.data).ok).toBe(true);
  });

  it('exports TF.js layers: model.json and shards as export-tfjs artifacts that load and agree', async () => {
    const out = path.join(root, 'out-tfjs');
    const job = await run('models.export', { modelId, format: 'tfjs', outDir: out });
    expect(job.status, job.error ?? '').toBe('succeeded');
    const rows = artifactsOf(job.id);
    expect(rows.map((r) => path.basename(r.path))).toEqual(['model.json', 'group1-shard1of1.bin']);
    for (const r of rows) {
      const file = ws.resolve(r.path);
      expect(r).toMatchObject({ kind: 'export-tfjs', model_id: modelId, size_bytes: statSync(file).size, sha256: sha256(file) });
    }
    expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const loaded = await loadLayersModelFromFolder(out);
    const y = tf.tidy(() => (loaded.predict(tf.tensor4d(input, [2, 8, 8, 3])) as tf.Tensor).dataSync());
    loaded.dispose();
    expect(compareOutputs(logits, y).ok).toBe(true);
    // The recorded hashes are what the workspace verifier checks.
    const verify = await run('workspace.verify', {});
    expect(verify.result).toMatchObject({ problems: [] });
  });

  it('measures latency at batch 1 and the chosen batch, and merges it into the model metrics', async () => {
    const job = await run('models.latency', { modelId, batchSize: 4, warmup: 1, runs: 3 });
    expect(job.status, job.error ?? '').toBe('succeeded');
    const metrics = JSON.parse((ws.db.prepare('SELECT metrics FROM models WHERE id = ?').get(modelId) as { metrics: string }).metrics) as {
      accuracy: number;
      latency: LatencyRecord;
    };
    expect(metrics.accuracy).toBe(0.5);
    expect(Object.keys(metrics.latency.tfjs).sort()).toEqual(['1', '4']);
    for (const [batch, s] of Object.entries(metrics.latency.tfjs)) {
      expect(s.runs).toBe(3);
      expect(s.warmup).toBe(1);
      expect(s.meanMs).toBeGreaterThan(0);
      expect(s.minMs).toBeLessThanOrEqual(s.meanMs);
      expect(s.maxMs).toBeGreaterThanOrEqual(s.meanMs);
      expect(s.imagesPerSecond).toBeCloseTo(Number(batch) / (s.meanMs / 1000), 6);
    }
    expect(metrics.latency).toMatchObject({ jobId: job.id, inputSize: [8, 8, 3] });
    expect(metrics.latency.engine).toMatch(/^cpu /);
  });

  it('imports a valid model folder, and refuses corrupt or unknown ones without recording anything', async () => {
    const source = ws.resolve((ws.db.prepare('SELECT dir FROM models WHERE id = ?').get(modelId) as { dir: string }).dir);
    const variant = (name: string, change: (dir: string) => void): string => {
      const dir = path.join(root, name);
      cpSync(source, dir, { recursive: true });
      change(dir);
      return dir;
    };
    const flipped = variant('flipped', (d) => {
      const bin = readFileSync(path.join(d, 'weights.bin'));
      bin[100] = bin[100]! ^ 0xff;
      writeFileSync(path.join(d, 'weights.bin'), bin);
    });
    const truncated = variant('truncated', (d) => writeFileSync(path.join(d, 'weights.bin'), readFileSync(path.join(d, 'weights.bin')).subarray(0, 1000)));
    const foreign = variant('foreign', (d) => {
      const manifest = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8'));
      manifest.spec.arch = 'vgg16';
      writeFileSync(path.join(d, 'model.json'), JSON.stringify(manifest));
    });
    const broken = variant('broken-json', (d) => writeFileSync(path.join(d, 'model.json'), '{"format": "workbench-model", '));
    const modelsBefore = (ws.db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n;

    const refusals = await Promise.all(
      [
        [flipped, /checksum mismatch/],
        [truncated, /bytes, the manifest says/],
        [foreign, /unknown architecture "vgg16"/],
        [broken, /not valid JSON/],
      ].map(async ([dir, message]) => {
        const job = await run('models.import', { path: dir });
        return { job, message: message as RegExp };
      }),
    );
    for (const { job, message } of refusals) {
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(message);
      expect(artifactsOf(job.id)).toEqual([]);
      expect(existsSync(path.join(ws.jobDir(job.id), 'model'))).toBe(false);
    }
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n).toBe(modelsBefore);
    // Not a model folder at all: refused before a job is queued.
    expect(() => jobs.submit('models.import', { path: root })).toThrow(ApiError);

    const ok = await run('models.import', { path: variant('good', () => undefined), name: 'imported copy' });
    expect(ok.status, ok.error ?? '').toBe('succeeded');
    const row = ws.db.prepare('SELECT * FROM models WHERE job_id = ?').get(ok.id) as { id: number; name: string; arch: string; dir: string };
    expect(row).toMatchObject({ name: 'imported copy', arch: 'resnet20' });
    const rows = artifactsOf(ok.id);
    expect(rows.map((r) => [r.kind, path.basename(r.path), r.model_id])).toEqual([
      ['weights', 'model.json', row.id],
      ['weights', 'weights.bin', row.id],
    ]);
    for (const r of rows) expect(r.sha256).toBe(sha256(ws.resolve(r.path)));
    // The imported copy exports like any other model.
    const exported = await run('models.export', { modelId: row.id, format: 'onnx' });
    expect(exported.status, exported.error ?? '').toBe('succeeded');
  });

  it('refuses an export of a model that does not exist before queueing it', () => {
    try {
      jobs.submit('models.export', { modelId: 4242, format: 'onnx' });
      expect.unreachable();
    } catch (err) {
      expect((err as ApiError).code).toBe('not_found');
      expect((err as ApiError).field).toBe('modelId');
    }
    expect(() => jobs.submit('models.export', { modelId, format: 'onnx', outDir: 'relative/dir' })).toThrow(/absolute path/);
  });
});
