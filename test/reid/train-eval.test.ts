import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { startEngine } from '../../src-main/engine/start.ts';
import { reidTrainJob, reidEvalJob } from '../../src-main/reid/jobs.ts';
import { reidHandlers } from '../../src-main/reid/api.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { tempWorkspace, addReidDataset, runDirect } from '../spgan/helpers.ts';
import type { FixtureSample } from '../spgan/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let trainId = 0;
let targetId = 0;
let noSplitId = 0;

const colour = (p: number): [number, number, number] => [(p * 67) % 200, (p * 131) % 200, (p * 29) % 200];

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  const train: FixtureSample[] = [];
  for (const p of [1, 2, 3]) for (const c of [1, 2]) train.push({ personId: p, camera: c, split: 'train', rgb: colour(p) });
  trainId = await addReidDataset(env.ws, path.join(env.dir, 'src'), 'source', train, [64, 32]);
  targetId = await addReidDataset(env.ws, path.join(env.dir, 'tgt'), 'target', [
    { personId: 5, camera: 1, split: 'query', rgb: colour(5) },
    { personId: 6, camera: 2, split: 'query', rgb: colour(6) },
    { personId: 5, camera: 2, split: 'gallery', rgb: colour(5) }, // good for query 5@c1
    { personId: 5, camera: 1, split: 'gallery', rgb: colour(5) }, // junk for query 5@c1 (same camera)
    { personId: 0, camera: 3, split: 'gallery', rgb: colour(9) }, // distractor
    { personId: -1, camera: 2, split: 'gallery', rgb: colour(8) }, // junk id
    { personId: 7, camera: 1, split: 'gallery', rgb: colour(7) },
  ], [64, 32]);
  noSplitId = await addReidDataset(env.ws, path.join(env.dir, 'flat'), 'flat', [{ personId: 5, camera: 1, split: null, rgb: colour(5) }], [64, 32]);
});

afterAll(() => env?.cleanup());

describe('reid.train and reid.eval', () => {
  it('trains a small IDE ResNet-18, stores it as an ide model, evaluates with the Market protocol and serves ranked lists', async () => {
    const ws = env.ws;
    const train = await runDirect(ws, reidTrainJob, { datasetId: trainId, arch: 'resnet18', imageSize: [64, 32], width: 8, epochs: 2, batchSize: 3, lmpParts: 2 });
    expect(train.metrics.filter((m) => m.name === 'loss')).toHaveLength(2);
    const model = ws.db.prepare("SELECT id, method, dir, metrics FROM models WHERE job_id = ?").get(train.jobId) as { id: number; method: string; dir: string; metrics: string };
    expect(model.method).toBe('ide');
    // ResNet-18 at width 8 ends with 64 channels; LMP with 2 stripes doubles that.
    expect(JSON.parse(model.metrics)).toMatchObject({ featureDim: 128, lmpParts: 2, numClasses: 3, personIds: [1, 2, 3] });

    const ev = await runDirect(ws, reidEvalJob, { modelId: model.id, queryDatasetId: targetId, galleryDatasetId: targetId, storeTopK: 5 });
    const m = ev.result.metrics;
    expect(m.queries).toBe(2);
    expect(m.gallery).toBe(5);
    // Query 6 has no good match at all: AP 0, a miss at every rank, so CMC and mAP are at most 1/2.
    expect(m.queriesWithoutGood).toBe(1);
    expect(m.rank5).toBe(0.5); // query 5 finds its one good image within 5 (only 3 non-junk gallery images)
    expect(m.mAP).toBeGreaterThan(0);
    expect(m.mAP).toBeLessThanOrEqual(0.5);

    const ctx = { ws } as ServiceContext;
    const evals = await reidHandlers['reid.evals']({}, ctx);
    expect(evals[0]).toMatchObject({ evalJobId: ev.jobId, modelId: model.id });
    const models = await reidHandlers['reid.models']({}, ctx);
    expect(models[0].evals.map((e) => e.evalJobId)).toEqual([ev.jobId]);
    const queries = await reidHandlers['reid.queries']({ evalJobIds: [ev.jobId], failuresOnly: false, offset: 0, limit: 10 }, ctx);
    expect(queries.total).toBe(2);
    const q5 = queries.items.find((q) => q.personId === 5)!;
    const ranked = await reidHandlers['reid.ranking']({ evalJobIds: [ev.jobId, ev.jobId], querySampleId: q5.sampleId, k: 5 }, ctx);
    expect(ranked.lists).toHaveLength(2);
    const verdicts = new Map(ranked.lists[0].matches.map((x) => [`${x.personId}@${x.camera}`, x.verdict]));
    expect(verdicts.get('5@2')).toBe('good');
    expect(verdicts.get('5@1')).toBe('junk');
    expect(verdicts.get('-1@2')).toBe('junk');
    expect(verdicts.get('0@3')).toBe('wrong');
    const d = ranked.lists[0].matches.map((x) => x.distance);
    expect([...d].sort((a, b) => a - b)).toEqual(d); // ascending distances
  });

  it('preflight: a target without query/gallery split, mismatched query/gallery sizes, a dataset without person ids, a wrong model', async () => {
    const ws = env.ws;
    const smallGallery = await addReidDataset(ws, path.join(env.dir, 'small'), 'small', [{ personId: 5, camera: 2, split: 'gallery', rgb: colour(5) }], [48, 24]);
    const modelId = (ws.db.prepare("SELECT id FROM models WHERE method = 'ide'").get() as { id: number }).id;
    const ev = (over: object) => reidEvalJob.params.parse({ modelId, queryDatasetId: targetId, galleryDatasetId: targetId, ...over });
    expect(() => reidEvalJob.preflight!(ev({ queryDatasetId: noSplitId }), ws)).toThrow(/queryDatasetId: .*has no 'query' split/);
    expect(() => reidEvalJob.preflight!(ev({ galleryDatasetId: trainId }), ws)).toThrow(/galleryDatasetId: .*has no 'gallery' split/);
    expect(() => reidEvalJob.preflight!(ev({ modelId: 9999 }), ws)).toThrow(/modelId: model 9999 does not exist/);
    expect(() => reidEvalJob.preflight!(ev({ galleryDatasetId: smallGallery }), ws)).toThrow(/galleryDatasetId: gallery images of dataset \d+ are 48x24 but query images of dataset \d+ are 64x32/);
    const tr = (over: object) => reidTrainJob.params.parse({ datasetId: trainId, ...over });
    expect(() => reidTrainJob.preflight!(tr({ imageSize: [16, 8] }), ws)).toThrow(/imageSize/);
    ws.db.prepare('UPDATE samples SET person_id = NULL WHERE dataset_id = ? AND id = (SELECT MIN(id) FROM samples WHERE dataset_id = ?)').run(noSplitId, noSplitId);
    expect(() => reidTrainJob.preflight!(tr({ datasetId: noSplitId }), ws)).toThrow(/datasetId: .*no person_id/);
  });

  it('initFromModelId copies every weight but the classifier from a model of the same arch', async () => {
    const ws = env.ws;
    const source = (ws.db.prepare("SELECT id FROM models WHERE method = 'ide' ORDER BY id").get() as { id: number }).id;
    const tuned = await runDirect(ws, reidTrainJob, { datasetId: trainId, arch: 'resnet18', imageSize: [64, 32], width: 8, epochs: 1, batchSize: 6, initFromModelId: source });
    const line = tuned.logs.find((l) => l.startsWith('Initialised'));
    const [, copied, total] = /Initialised (\d+) of (\d+) weights/.exec(line ?? '') ?? [];
    expect(Number(total) - Number(copied)).toBe(2); // fc kernel and bias stay random
    const bad = reidTrainJob.params.parse({ datasetId: trainId, arch: 'resnet34', initFromModelId: source });
    expect(() => reidTrainJob.preflight!(bad, ws)).toThrow(/initFromModelId: model \d+ is a resnet18, the job trains a resnet34/);
  });
});
