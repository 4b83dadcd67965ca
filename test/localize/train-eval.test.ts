import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { startEngine } from '../../src-main/engine/start.ts';
import { localizeGenerateJob, localizeTrainJob, localizeEvalJob } from '../../src-main/localize/jobs.ts';
import { localizeHandlers } from '../../src-main/localize/api.ts';
import { modelsJobSpecs } from '../../src-main/models/jobs.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addObjectDataset } from './helpers.ts';
import { loadModel } from '../../src-main/nn/model-file.ts';
import { disposeModel } from '../../src-main/nn/init.ts';

const maxAbs = (v: ArrayLike<number>): number => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const maxAbsDiff = (u: ArrayLike<number>, v: ArrayLike<number>): number => Array.from(u).reduce((m, x, i) => Math.max(m, Math.abs(x - v[i]!)), 0);

let env: ReturnType<typeof tempWorkspace>;
let setId = 0;
let objectsId = 0;

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  objectsId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 12, 12);
  const gen = await runDirect(env.ws, localizeGenerateJob, { objectDatasetId: objectsId, recipe: 'cluttered', canvas: 32, scale: [1, 1.6], fragments: 2, train: 18, val: 6, test: 8, seed: 2 });
  setId = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(gen.jobId) as { id: number }).id;
});

afterAll(() => env?.cleanup());

const tiny = { arch: 'resnet20', widthMultiplier: 0.25, epochs: 2, batchSize: 6, learningRate: 0.05, spg: { branchChannels: 4 } };

describe('localize.train and localize.eval on a generated set', () => {
  it('trains CAM and SPG, records models with curves, evaluates both protocols beside the baselines, serves the per-image results', async () => {
    const ws = env.ws;
    const ctx = { ws } as ServiceContext;
    for (const method of ['cam', 'spg'] as const) {
      const train = await runDirect(ws, localizeTrainJob, { datasetId: setId, method, ...tiny });
      expect(train.metrics.filter((m) => m.name === 'loss')).toHaveLength(2);
      const bce = train.metrics.filter((m) => m.name.startsWith('bce_'));
      expect(bce.length).toBe(method === 'spg' ? 6 : 0);
      const model = ws.db.prepare('SELECT id, method, metrics, dataset_id FROM models WHERE job_id = ?').get(train.jobId) as { id: number; method: string; metrics: string; dataset_id: number };
      expect(model.method).toBe(method);
      expect(model.dataset_id).toBe(setId);
      expect(JSON.parse(model.metrics)).toMatchObject({ numClasses: 3, imageSize: [32, 32], channels: 1 });

      const ev = await runDirect(ws, localizeEvalJob, { modelId: model.id, datasetId: setId });
      const r = ev.result;
      expect(r.images).toBe(8);
      expect(r.selectSplit).toBe('val');
      expect(r.rows.map((x) => x.name.split(' ')[0])).toEqual([method.toUpperCase(), 'input', 'centre', 'whole-image']);
      const [m, input] = r.rows;
      for (const v of [m!.top1Cls, m!.top1Loc, m!.top5Loc, m!.gtKnownLoc, m!.maxBoxAccV2, m!.pxap]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      // Definitions: Top-1 Loc needs the class too; with 3 classes the top 5 always contain the truth.
      expect(m!.top1Loc!).toBeLessThanOrEqual(Math.min(m!.top1Cls!, m!.gtKnownLoc));
      expect(m!.top5Loc).toBe(m!.gtKnownLoc);
      expect(r.curve.accuracy).toHaveLength(3);
      expect(r.curve.accuracy[0]).toHaveLength(100);
      // On the cluttered recipe the input itself localizes well: the baseline every table must show.
      expect(input!.gtKnownLoc).toBeGreaterThan(0.5);
      expect(input!.pxap).toBeGreaterThan(0.5);

      const evals = await localizeHandlers['localize.evals']({ modelId: model.id }, ctx);
      expect(evals[0]).toMatchObject({ evalJobId: ev.jobId, modelId: model.id, images: 8 });
      const worst = await localizeHandlers['localize.images']({ evalJobId: ev.jobId, filter: 'all', order: 'worstIou', offset: 0, limit: 8 }, ctx);
      expect(worst.total).toBe(8);
      expect([worst.width, worst.height]).toEqual([32, 32]);
      const ious = worst.items.map((i) => i.iou);
      expect([...ious].sort((a, b) => a - b)).toEqual(ious);
      // Per class over all images: their weighted means are the table's Top-1 Cls, GT-known Loc and Top-1 Loc.
      const pc = worst.perClass;
      expect(pc.map((c) => c.name)).toEqual(pc.map((c) => `shape${c.label}`));
      expect(pc.reduce((n, c) => n + c.images, 0)).toBe(8);
      for (const k of ['top1Cls', 'gtKnownLoc', 'top1Loc'] as const) expect(pc.reduce((n, c) => n + c[k] * c.images, 0) / 8, k).toBeCloseTo(m![k]!, 9);
      const correct = await localizeHandlers['localize.images']({ evalJobId: ev.jobId, filter: 'correct', order: 'index', offset: 0, limit: 8 }, ctx);
      expect(correct.total).toBe(Math.round(m!.top1Loc! * 8));
      expect(correct.items.every((i) => i.predicted === i.label && i.iou >= 0.5)).toBe(true);
      for (const c of pc) {
        const ofClass = await localizeHandlers['localize.images']({ evalJobId: ev.jobId, filter: 'all', order: 'index', offset: 0, limit: 8, label: c.label }, ctx);
        expect(ofClass.total).toBe(c.images);
        expect(ofClass.items.every((i) => i.label === c.label)).toBe(true);
      }
      const map = await localizeHandlers['localize.map']({ evalJobId: ev.jobId, index: worst.items[0]!.index }, ctx);
      expect(map.values).toHaveLength(32 * 32);
      expect(Math.max(...map.values)).toBe(255);
      expect(() => localizeHandlers['localize.map']({ evalJobId: ev.jobId, index: 8 }, ctx)).toThrow(/index/);

      // The head and branches are plain graph nodes: the model exports and verifies like any registry model (logits output).
      if (method === 'spg') {
        const exportJob = modelsJobSpecs.find((s) => s.kind === 'models.export')!;
        for (const format of ['onnx', 'tfjs']) {
          const exp = await runDirect(ws, exportJob, { modelId: model.id, format });
          expect((exp.result as { verification: { ok: boolean } }).verification.ok, format).toBe(true);
        }
      }
    }
  });

  it('SPG with the guidance from epoch 2 on a cosine schedule: CE only first, then the BCE terms, the branch biases joining the optimiser mid-run', async () => {
    const train = await runDirect(env.ws, localizeTrainJob, { datasetId: setId, method: 'spg', ...tiny, lrSchedule: 'cosine', spg: { branchChannels: 4, startEpoch: 2 } });
    expect(train.metrics.filter((m) => m.name.startsWith('bce_')).map((m) => m.epoch)).toEqual([2, 2, 2]);
    expect(train.metrics.filter((m) => m.name === 'learning_rate').map((m) => m.value)).toEqual([0.05, 0.025]);
  });

  it('SPG fine-tuned from a CAM model (initFromModelId): backbone and class-map head carried, branches fresh with zero outputs', async () => {
    const ws = env.ws;
    const cam = await runDirect(ws, localizeTrainJob, { datasetId: setId, method: 'cam', ...tiny, epochs: 1 });
    const camModel = ws.db.prepare('SELECT id, dir FROM models WHERE job_id = ?').get(cam.jobId) as { id: number; dir: string };
    // A learning rate of ~0 and no weight decay: the kernels after the epoch are the ones it started from.
    const spg = await runDirect(ws, localizeTrainJob, { datasetId: setId, method: 'spg', ...tiny, epochs: 1, learningRate: 1e-12, weightDecay: 0, initFromModelId: camModel.id });
    const spgModel = ws.db.prepare('SELECT dir, parent_model_id FROM models WHERE job_id = ?').get(spg.jobId) as { dir: string; parent_model_id: number };
    expect(spgModel.parent_model_id).toBe(camModel.id);
    const { model: a } = loadModel(path.resolve(ws.dir, camModel.dir));
    const { model: b } = loadModel(path.resolve(ws.dir, spgModel.dir));
    try {
      const branchWeights = [...b.weights.keys()].filter((n) => n.startsWith('spg/'));
      expect(branchWeights).toHaveLength(12); // 3 branches x (3x3 conv + 1x1 conv) x (kernel, bias)
      expect(spg.logs.some((l) => l.includes(`Initialised ${a.weights.size} of ${b.weights.size} weights from model ${camModel.id}`))).toBe(true);
      const kernels = [...a.weights.keys()].filter((n) => n.endsWith('/kernel'));
      expect(kernels).toContain('cam/conv/kernel');
      for (const name of kernels) expect(maxAbsDiff(a.weights.get(name)!.dataSync(), b.weights.get(name)!.dataSync()), name).toBeLessThan(1e-6);
      for (const br of ['deep', 'shallow', 'top']) {
        expect(maxAbs(b.weights.get(`spg/${br}/conv2/kernel`)!.dataSync()), br).toBeLessThan(1e-6);
        expect(maxAbs(b.weights.get(`spg/${br}/conv1/kernel`)!.dataSync()), br).toBeGreaterThan(0.01);
      }
      // Zero branch logits: each BCE term starts at ln 2, not at the tens a random last conv gave on a trained backbone.
      for (const br of ['deep', 'shallow', 'top']) expect(spg.metrics.find((m) => m.name === `bce_${br}`)!.value, br).toBeCloseTo(Math.LN2, 3);
    } finally {
      disposeModel(a);
      disposeModel(b);
    }
  });

  it('resumes after the last finished epoch from the checkpoint', async () => {
    const first = await runDirect(env.ws, localizeTrainJob, { datasetId: setId, method: 'spg', ...tiny, epochs: 1 });
    expect(existsSync(path.join(env.ws.dir, 'artifacts', 'jobs', String(first.jobId), 'checkpoint', 'state.json'))).toBe(true);
    // A job continuing the first one with 2 epochs runs only epoch 2.
    const resumed = await runDirect(env.ws, localizeTrainJob, { datasetId: setId, method: 'spg', ...tiny, epochs: 2 }, { resumeFrom: first.jobId });
    expect(resumed.logs.some((l) => /Resuming .* after epoch 1/.test(l))).toBe(true);
    expect(resumed.metrics.filter((m) => m.name === 'loss').map((m) => m.epoch)).toEqual([2]);
  });

  it('refuses bad input before queueing, naming the field', () => {
    const ws = env.ws;
    const train = (over: object) => localizeTrainJob.params.parse({ datasetId: setId, ...over });
    expect(() => localizeTrainJob.params.parse({ datasetId: setId, spg: { stage1: { high: 0.1, low: 0.5 } } })).toThrow(/low must be below high/);
    // A threshold out of range: the error names the field's path.
    const out = localizeTrainJob.params.safeParse({ datasetId: setId, spg: { stage2: { high: 1.5, low: 0.05 } } });
    expect(out.success).toBe(false);
    expect(out.error!.issues.map((i) => i.path.join('.'))).toEqual(['spg.stage2.high']);
    expect(() => localizeTrainJob.preflight!(train({ arch: 'resnet18' }), ws)).toThrow(/imageSize: 32x32 images give resnet18 a 1x1 class map/);
    expect(() => localizeTrainJob.preflight!(train({ initFromModelId: 999 }), ws)).toThrow(/initFromModelId/);
    const modelId = (ws.db.prepare("SELECT id FROM models WHERE method = 'cam'").get() as { id: number }).id;
    // The object dataset has no boxes.
    expect(() => localizeEvalJob.preflight!(localizeEvalJob.params.parse({ modelId, datasetId: objectsId, split: 'train', selectSplit: null }), ws)).toThrow(/datasetId: .* no images with boxes in split 'train'/);
    expect(() => localizeEvalJob.preflight!(localizeEvalJob.params.parse({ modelId, datasetId: setId, selectSplit: 'nothing' }), ws)).toThrow(/selectSplit/);
    expect(() => localizeEvalJob.preflight!(localizeEvalJob.params.parse({ modelId: 12345, datasetId: setId }), ws)).toThrow(/modelId/);
  });
});
