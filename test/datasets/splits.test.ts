import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { contract } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { trainConfigSchema } from '../../src-main/common/contract/train.ts';
import { datasetsHandlers } from '../../src-main/datasets/api.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { preflightTrain } from '../../src-main/train/preflight.ts';
import { openRunData } from '../../src-main/train/data.ts';
import { importDirect } from './import-helper.ts';
import { tempDir, writeImage } from './fixtures.ts';
import { runWorkbench } from '../helpers/cli.ts';

/** Parts of a split as sampleId -> part, read back through the dataset reader (what training reads). */
async function partsOf(ws: Workspace, datasetId: number, splitName: string): Promise<Map<number, string>> {
  const r = await openDatasetReader(ws.db, datasetId, { splitName, size: [8, 8] });
  return new Map(r.sampleIds.map((id, i) => [id, r.meta(i).split!]));
}

describe('dataset splits', () => {
  let ws: Workspace;
  let ctx: ServiceContext;
  let folderId: number;
  let marketId: number;
  const dirs: string[] = [];
  const call = async <K extends keyof typeof datasetsHandlers>(name: K, req: unknown): Promise<Awaited<ReturnType<(typeof datasetsHandlers)[K]>>> =>
    (await datasetsHandlers[name](contract[name].request.parse(req) as never, ctx)) as Awaited<ReturnType<(typeof datasetsHandlers)[K]>>;

  beforeAll(async () => {
    ws = Workspace.open(tempDir('wb-ws-'));
    ctx = { ws, jobs: null as unknown as JobManager, events: new EventBus() };
    // Class folders without split folders: 3 classes x 10 images.
    const f = tempDir();
    dirs.push(f);
    for (const [c, colour] of [['cat', [200, 30, 30]], ['dog', [30, 200, 30]], ['fox', [30, 30, 200]]] as const) {
      for (let i = 0; i < 10; i++) await writeImage(`${f}/${c}/${i}.jpg`, 8, 8, [...colour]);
    }
    folderId = (await importDirect(ws, { path: f, name: 'pets' })).report.datasetId!;
    // A Market-style set in one folder: persons 1..6, cameras 1 and 2, two images each, plus a junk and a distractor image.
    const m = tempDir();
    dirs.push(m);
    for (let p = 1; p <= 6; p++) {
      for (const cam of [1, 2]) for (const k of [1, 2]) await writeImage(`${m}/bounding_box_train/${String(p).padStart(4, '0')}_c${cam}s1_00${k}000_01.jpg`, 8, 16);
    }
    await writeImage(`${m}/bounding_box_train/0000_c1s1_009000_01.jpg`, 8, 16);
    await writeImage(`${m}/bounding_box_train/-1_c2s1_009100_01.jpg`, 8, 16);
    marketId = (await importDirect(ws, { path: m, name: 'persons' })).report.datasetId!;
  });
  afterAll(() => {
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it('a folder set without split folders cannot be trained on until a split is made, and the refusal says how', () => {
    const cfg = trainConfigSchema.parse({ dataset: { id: folderId }, model: { arch: 'resnet20' }, epochs: 1 });
    expect(() => preflightTrain(cfg, ws)).toThrow(/dataset\.trainSplit: .*no samples in split train; make a split first/);
    // The refusal names the command in full, with the name the form's one-click split would give.
    expect(() => preflightTrain(cfg, ws)).toThrow(`\`workbench datasets split ${folderId} --name stratified-80-10-10-s0 --test 0.1 --val 0.1 --seed 0\``);
  });

  it('a class too small to split per class is named, with what to do; nothing is stored', async () => {
    // cat 10, okapi 1, pair 2 (class indices in that order).
    const f = tempDir();
    dirs.push(f);
    for (const [c, n] of [['cat', 10], ['okapi', 1], ['pair', 2]] as const) for (let i = 0; i < n; i++) await writeImage(`${f}/${c}/${i}.jpg`, 8, 8);
    const tinyId = (await importDirect(ws, { path: f, name: 'tiny' })).report.datasetId!;
    const refusal = (req: object) => call('datasets.splits.create', { datasetId: tinyId, method: 'random', name: 'x', ...req }).then(() => null, (e: unknown) => e as ApiError);
    // One image cannot be both trained on and held out.
    const one = await refusal({ test: 0.2 });
    expect(one).toMatchObject({ field: 'stratify', message: expect.stringMatching(/^Dataset \d+ cannot be split per class at test 20%: class "okapi" \(1 image\) has too few images .*--no-stratify/) });
    expect(one!.message).not.toContain('pair');
    // Two images where the shares round both out of train.
    const two = await refusal({ test: 0.5, val: 0.4 });
    expect(two?.message).toMatch(/at test 50% and val 40%: classes "okapi" \(1 image\), "pair" \(2 images\) have too few/);
    expect((await call('datasets.splits.list', { id: tinyId })).map((s) => s.name)).toEqual(['imported']);
    // Over all samples at once the same set splits; no share asked, nothing to hold out either.
    expect((await call('datasets.splits.create', { datasetId: tinyId, method: 'random', name: 'flat', test: 0.2, stratify: false })).counts).toMatchObject({ train: 10, test: 3 });
    expect((await call('datasets.splits.create', { datasetId: tinyId, method: 'random', name: 'all-train', test: 0 })).counts).toEqual({ train: 13 });
  });

  it('a class whose share rounds to no image is split anyway, and the answer names it per part (not stored, not listed)', async () => {
    // cat 10, small 4, tiny 2: at 10% test and 10% val, round(0.4) = round(0.2) = 0 for both small ones.
    const f = tempDir();
    dirs.push(f);
    for (const [c, n] of [['cat', 10], ['small', 4], ['tiny', 2]] as const) for (let i = 0; i < n; i++) await writeImage(`${f}/${c}/${i}.jpg`, 8, 8);
    const id = (await importDirect(ws, { path: f, name: 'uneven' })).report.datasetId!;
    const made = await call('datasets.splits.create', { datasetId: id, method: 'random', name: 's', test: 0.1, val: 0.1 });
    expect(made.counts).toEqual({ test: 1, val: 1, train: 14 });
    expect(made.classesWithout).toEqual([
      { part: 'test', classes: ['small', 'tiny'], total: 2 },
      { part: 'val', classes: ['small', 'tiny'], total: 2 },
    ]);
    // No val asked: only test is said; at 30% test, small gets round(1.2) = 1 and tiny round(0.6) = 1.
    expect((await call('datasets.splits.create', { datasetId: id, method: 'random', name: 't', test: 0.2 })).classesWithout).toEqual([{ part: 'test', classes: ['tiny'], total: 1 }]);
    expect((await call('datasets.splits.create', { datasetId: id, method: 'random', name: 'u', test: 0.3 })).classesWithout).toBeUndefined();
    expect((await call('datasets.splits.create', { datasetId: id, method: 'random', name: 'none', test: 0 })).classesWithout).toBeUndefined();
    expect((await call('datasets.splits.list', { id })).filter((s) => 'classesWithout' in s)).toEqual([]);
    // The parts as stored: every image of small and tiny trains.
    const parts = await partsOf(ws, id, 's');
    const labelOf = new Map((ws.db.prepare('SELECT id, label FROM samples WHERE dataset_id = ?').all(id) as { id: number; label: number }[]).map((r) => [r.id, r.label]));
    expect([...parts].filter(([sid]) => labelOf.get(sid) !== 0).every(([, p]) => p === 'train')).toBe(true);

    ws.close();
    try {
      const cli = await runWorkbench(['--workspace', ws.dir, 'datasets', 'split', String(id), '--name', 'cli', '--test', '0.1', '--val', '0.1']);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toBe(
        [
          `Split "cli" of dataset ${id}: train 14, val 1, test 1.`,
          'note: The test part has no image of 2 classes: "small", "tiny" (too few images for the share); test results will not cover them.',
          'note: The val part has no image of 2 classes: "small", "tiny" (too few images for the share); val results will not cover them.',
          '',
        ].join('\n'),
      );
      const json = await runWorkbench(['--workspace', ws.dir, '--json', 'datasets', 'split', String(id), '--name', 'cli-json', '--test', '0.2']);
      expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cli-json', classesWithout: [{ part: 'test', classes: ['tiny'], total: 1 }] });
    } finally {
      ws = Workspace.open(ws.dir);
      ctx = { ws, jobs: null as unknown as JobManager, events: new EventBus() };
    }
  });

  it('a split over all samples that leaves none to train on is refused on test', async () => {
    const f = tempDir();
    dirs.push(f);
    await writeImage(`${f}/solo/0.jpg`, 8, 8);
    const soloId = (await importDirect(ws, { path: f, name: 'solo' })).report.datasetId!;
    await expect(call('datasets.splits.create', { datasetId: soloId, method: 'random', name: 'x', test: 0.5, stratify: false })).rejects.toMatchObject({
      field: 'test',
      message: expect.stringMatching(/has 1 sample\(s\): test 0\.5 and val 0 leave none to train on/),
    });
  });

  it('random split: stratified per class, seeded (same seed same parts, other seed other parts), stored as data', async () => {
    const a = await call('datasets.splits.create', { datasetId: folderId, method: 'random', name: 'r1', seed: 7, test: 0.3, val: 0.1 });
    // round(10 x 0.3) = 3 test and 1 val per class, 6 train.
    expect(a.counts).toEqual({ test: 9, val: 3, train: 18 });
    const perClass = ws.db
      .prepare("SELECT s.label, p.part, COUNT(*) AS n FROM sample_split_parts p JOIN samples s ON s.id = p.sample_id JOIN dataset_splits d ON d.id = p.split_id WHERE d.name = 'r1' GROUP BY s.label, p.part")
      .all() as { label: number; part: string; n: number }[];
    for (const label of [0, 1, 2]) {
      expect(Object.fromEntries(perClass.filter((r) => r.label === label).map((r) => [r.part, r.n]))).toEqual({ test: 3, val: 1, train: 6 });
    }
    await call('datasets.splits.create', { datasetId: folderId, method: 'random', name: 'r1-again', seed: 7, test: 0.3, val: 0.1 });
    await call('datasets.splits.create', { datasetId: folderId, method: 'random', name: 'r2', seed: 8, test: 0.3, val: 0.1 });
    const [p1, p1b, p2] = [await partsOf(ws, folderId, 'r1'), await partsOf(ws, folderId, 'r1-again'), await partsOf(ws, folderId, 'r2')];
    expect([...p1b]).toEqual([...p1]);
    expect([...p2]).not.toEqual([...p1]);
    // The imported split is untouched (no files copied, no split column rewritten).
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split IS NOT NULL').get(folderId) as { n: number }).n).toBe(0);
    const listed = await call('datasets.splits.list', { id: folderId });
    expect(listed.map((s) => s.name)).toEqual(['imported', 'r1', 'r1-again', 'r2']);
    expect(listed[0]).toMatchObject({ method: 'imported', counts: { '(none)': 30 } });
    expect(listed[1]).toMatchObject({ method: 'random', params: { method: 'random', seed: 7, test: 0.3, val: 0.1, stratify: true } });
    // The list and the detail name the splits made here, so a lab sees a set is ready to train on.
    expect((await call('datasets.list', {})).find((d) => d.id === folderId)?.namedSplits).toEqual(['r1', 'r1-again', 'r2']);
    expect((await call('datasets.list', {})).find((d) => d.id === marketId)?.namedSplits).toEqual([]);
    expect((await call('datasets.get', { id: folderId })).namedSplits).toEqual(['r1', 'r1-again', 'r2']);
  });

  it('training reads the named split: the train part (less validation) and the test part', async () => {
    const cfg = trainConfigSchema.parse({ dataset: { id: folderId, split: 'r1', validationFraction: 0 }, model: { arch: 'resnet20' }, epochs: 1 });
    preflightTrain(cfg, ws);
    const data = await openRunData(ws.db, cfg);
    expect([data.trainIdx.length, data.testIdx.length]).toEqual([18, 9]);
    // The split's "val" part is the validation set: all 18 training samples train, the 3 val ones validate.
    expect(data.valIdx.length).toBe(3);
    expect(data.val).not.toBe(data.train);
    const parts = await partsOf(ws, folderId, 'r1');
    expect(Array.from(data.valIdx, (i) => parts.get(data.val.sampleIds[i]!))).toEqual(['val', 'val', 'val']);
    // null: a held-out fraction of the train part instead, as without a split.
    const held = await openRunData(ws.db, trainConfigSchema.parse({ dataset: { id: folderId, split: 'r1', valSplit: null, validationFraction: 0.5 }, model: { arch: 'resnet20' }, epochs: 1 }));
    expect([held.trainIdx.length, held.valIdx.length, held.val === held.train]).toEqual([9, 9, true]);
    // A named part with no labelled samples is refused before queueing.
    const noPart = trainConfigSchema.parse({ dataset: { id: folderId, split: 'r1', valSplit: 'holdout' }, model: { arch: 'resnet20' }, epochs: 1 });
    expect(() => preflightTrain(noPart, ws)).toThrow(expect.objectContaining({ field: 'dataset.valSplit', message: expect.stringMatching(/split "r1" .* no labelled samples in part "holdout"/) }));
    const unknown = trainConfigSchema.parse({ dataset: { id: folderId, split: 'nope' }, model: { arch: 'resnet20' }, epochs: 1 });
    expect(() => preflightTrain(unknown, ws)).toThrow(expect.objectContaining({ field: 'dataset.split', message: expect.stringMatching(/no split "nope" \(it has: imported, r1, r1-again, r2\)/) }));
  });

  it('a test limit draws across the classes (not the first N of a class-ordered import), the same draw for every run seed', async () => {
    const limited = (seed: number) => trainConfigSchema.parse({ dataset: { id: folderId, split: 'r1', testLimit: 4 }, model: { arch: 'resnet20' }, epochs: 1, seed });
    const a = await openRunData(ws.db, limited(1));
    const b = await openRunData(ws.db, limited(2));
    expect(a.testIdx.length).toBe(4);
    expect([...b.testIdx]).toEqual([...a.testIdx]);
    // The test part holds 3 per class in class order: a prefix of 4 would be 3 cats and a dog.
    const labels = new Set(Array.from(a.testIdx, (i) => a.test!.labels[i]));
    expect(labels.size).toBeGreaterThan(1);
    const prefix = Array.from({ length: a.test!.count }, (_, i) => i).slice(0, 4);
    expect([...a.testIdx]).not.toEqual(prefix);
  });

  it('re-ID split: persons disjoint between train and query/gallery, one query per person and camera, junk and distractors in the gallery', async () => {
    const s = await call('datasets.splits.create', { datasetId: marketId, method: 'reid', name: 'market-style', seed: 3, trainPersons: 0.5 });
    // 3 train persons x 4 images; 3 test persons x 2 cameras = 6 queries; 6 left + junk + distractor in the gallery.
    expect(s.counts).toEqual({ train: 12, query: 6, gallery: 8 });
    const rows = ws.db
      .prepare("SELECT s.person_id AS person, s.camera, p.part FROM sample_split_parts p JOIN samples s ON s.id = p.sample_id JOIN dataset_splits d ON d.id = p.split_id WHERE d.name = 'market-style'")
      .all() as { person: number; camera: number; part: string }[];
    const trainPersons = new Set(rows.filter((r) => r.part === 'train').map((r) => r.person));
    const testPersons = new Set(rows.filter((r) => r.part !== 'train' && r.person > 0).map((r) => r.person));
    expect([...trainPersons].filter((p) => testPersons.has(p))).toEqual([]);
    for (const p of testPersons) for (const cam of [1, 2]) expect(rows.filter((r) => r.person === p && r.camera === cam && r.part === 'query')).toHaveLength(1);
    expect(rows.filter((r) => r.person <= 0).map((r) => r.part)).toEqual(['gallery', 'gallery']);
  });

  it.each([
    [{ datasetId: 9999, method: 'random', name: 'x' }, 'datasetId', /Dataset 9999 does not exist/],
    [{ datasetId: 1, method: 'random', name: 'imported' }, 'name', /the split the import found/],
    [{ datasetId: 1, method: 'random', name: 'bad name!' }, 'name', /Split name must be/],
    [{ datasetId: 1, method: 'random', name: 'x', test: 0.6, val: 0.5 }, 'test', /test \+ val must leave something to train on/],
  ])('refuses %j naming the field %s', async (req, field, message) => {
    const parsed = contract['datasets.splits.create'].request.safeParse(req);
    if (!parsed.success) {
      expect(parsed.error.issues[0]!.path.join('.')).toBe(field);
      expect(parsed.error.issues[0]!.message).toMatch(message);
    } else {
      await expect(Promise.resolve().then(() => datasetsHandlers['datasets.splits.create'](parsed.data as never, ctx))).rejects.toThrow(expect.objectContaining({ field, message: expect.stringMatching(message) }));
    }
  });

  it('a name is taken once per dataset: splits do not change under runs that used them', async () => {
    await expect(call('datasets.splits.create', { datasetId: folderId, method: 'random', name: 'r1' })).rejects.toThrow(ApiError);
    await call('datasets.splits.remove', { id: folderId, name: 'r1-again' });
    expect((await call('datasets.splits.list', { id: folderId })).map((s) => s.name)).toEqual(['imported', 'r1', 'r2']);
  });

  it('the CLI makes and lists splits (--json)', async () => {
    ws.close();
    try {
      const made = await runWorkbench(['--workspace', ws.dir, '--json', 'datasets', 'split', String(folderId), '--name', 'cli', '--seed', '1', '--test', '0.5']);
      expect(made.code, made.stderr).toBe(0);
      expect(JSON.parse(made.stdout)).toMatchObject({ name: 'cli', counts: { test: 15, train: 15 } });
      // Every class has its share: the answer's keys are as they always were.
      expect(Object.keys(JSON.parse(made.stdout) as object)).toEqual(['name', 'method', 'params', 'counts', 'createdAt']);
      const listed = await runWorkbench(['--workspace', ws.dir, 'datasets', 'splits', String(folderId)]);
      expect(listed.stdout).toMatch(/cli\s+random\s+train 15, test 15/);
      const bad = await runWorkbench(['--workspace', ws.dir, 'datasets', 'split', String(folderId), '--name', 'cli']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/already has a split "cli"/);
    } finally {
      ws = Workspace.open(ws.dir);
    }
  });
});
