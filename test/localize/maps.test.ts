import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { startEngine } from '../../src-main/engine/start.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { localizeGenerateJob, localizeMapsJob, localizeTrainJob } from '../../src-main/localize/jobs.ts';
import { localizeHandlers } from '../../src-main/localize/api.ts';
import { colormapRgb, heatmapRgb } from '../../src-main/localize/heatmap.ts';
import { iou } from '../../src-main/localize/boxes.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import type { LocalizeMapsResult } from '../../src-main/common/contract/localize.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addObjectDataset } from './helpers.ts';

describe('heatmap colouring', () => {
  it('maps 0, 0.5 and 1 to the ends and middle of each colormap and blends over the image', () => {
    expect(colormapRgb('jet', 0)).toEqual([0, 0, 128]);
    expect(colormapRgb('jet', 0.5)).toEqual([128, 255, 128]);
    expect(colormapRgb('jet', 1)).toEqual([128, 0, 0]);
    expect(colormapRgb('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapRgb('viridis', 1)).toEqual([253, 231, 37]);
    expect(colormapRgb('gray', 0.5)).toEqual([128, 128, 128]);
    const map = new Float32Array([0, 1]);
    expect([...heatmapRgb(map, 2, 1, 'jet')]).toEqual([0, 0, 128, 128, 0, 0]);
    // Half the colour, half the gray image (100 and 200).
    expect([...heatmapRgb(map, 2, 1, 'gray', 0.5, { data: new Uint8Array([100, 200]), channels: 1 })]).toEqual([50, 50, 50, 228, 228, 228]);
    // Over a colour image each channel blends with its own.
    expect([...heatmapRgb(new Float32Array([1]), 1, 1, 'jet', 0.5, { data: new Uint8Array([10, 20, 30]), channels: 3 })]).toEqual([69, 10, 15]);
    expect(() => heatmapRgb(map, 2, 1, 'jet', 0.5, { data: new Uint8Array(3), channels: 3 })).toThrow(/image has 1 pixels/);
    expect(() => heatmapRgb(map, 3, 1, 'jet')).toThrow(/3x1/);
  });
});

let env: ReturnType<typeof tempWorkspace>;
let wsDir = '';
let setId = 0;
let setName = '';
let camId = 0;
let spgId = 0;
let plainId = 0;
let testSamples: number[] = [];

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  wsDir = env.ws.dir;
  const ws = env.ws;
  const objectsId = await addObjectDataset(ws, path.join(env.dir, 'objects'), 8, 12);
  const gen = await runDirect(ws, localizeGenerateJob, { objectDatasetId: objectsId, recipe: 'cluttered', canvas: 32, fragments: 2, train: 12, val: 3, test: 6, seed: 3 });
  ({ id: setId, name: setName } = ws.db.prepare('SELECT id, name FROM datasets WHERE job_id = ?').get(gen.jobId) as { id: number; name: string });
  const ids: Record<string, number> = {};
  for (const method of ['cam', 'spg'] as const) {
    const train = await runDirect(ws, localizeTrainJob, { datasetId: setId, method, arch: 'resnet20', widthMultiplier: 0.25, epochs: 1, batchSize: 6, spg: { branchChannels: 4 } });
    ids[method] = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(train.jobId) as { id: number }).id;
  }
  camId = ids.cam!;
  spgId = ids.spg!;
  plainId = Number(ws.db.prepare("INSERT INTO models (name, arch, spec, dir, metrics) VALUES ('classifier', 'resnet20', '{}', 'artifacts/models/x', '{}')").run().lastInsertRowid);
  testSamples = (ws.db.prepare("SELECT id FROM samples WHERE dataset_id = ? AND split = 'test' ORDER BY id").all(setId) as { id: number }[]).map((r) => r.id);
  // The CLI opens the workspace itself (one writer per workspace).
  ws.close();
}, 240_000);

afterAll(() => env?.cleanup());

const run = (args: string[]) => runWorkbench(['--workspace', wsDir, '--json', 'localize', 'maps', ...args], { timeoutMs: 120_000 });

describe('workbench localize maps (CLI, real job processes)', () => {
  it('writes a heatmap PNG per sample and maps.json with the predicted class, box, GT boxes and IoU; SPG stage masks; refuses bad input before queueing', async () => {
    const out = path.join(env.dir, 'maps-spg');
    const chosen = testSamples.slice(0, 3);
    const res = await run(['--model', String(spgId), '--dataset', String(setId), '--samples', chosen.join(','), '--out', out, '--threshold', '0.3', '--backend', 'wasm']);
    expect(res.code, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as LocalizeMapsResult & { jobId: number };
    expect(r.method).toBe('spg');
    expect(r.threshold).toBe(0.3);
    expect([r.width, r.height]).toEqual([32, 32]);
    expect(r.items.map((i) => i.sampleId)).toEqual(chosen);
    const index = JSON.parse(readFileSync(path.join(out, 'maps.json'), 'utf8')) as { items: LocalizeMapsResult['items'] };
    expect(index.items).toEqual(r.items);

    const ws = Workspace.open(wsDir);
    try {
      const ctx = { ws } as ServiceContext;
      for (const it of r.items) {
        expect(it.label).toBeGreaterThanOrEqual(0);
        expect(it.labelName).toMatch(/^shape\d$/);
        expect(it.predicted).toBeGreaterThanOrEqual(0);
        expect(it.predictedName).toBe(`shape${it.predicted}`);
        expect(it.score).toBeGreaterThan(0);
        expect(it.gtBoxes.length).toBeGreaterThan(0);
        for (const g of it.gtBoxes) expect(g.iou).toBeCloseTo(iou(it.box, g.box), 10);
        expect(it.iou).toBe(Math.max(...it.gtBoxes.map((g) => g.iou)));
        const [x0, y0, x1, y1] = it.box;
        expect(0 <= x0 && x0 < x1 && x1 <= 32 && 0 <= y0 && y0 < y1 && y1 <= 32).toBe(true);

        // The PNG is the map in jet: the map's maximum is dark red, its minimum dark blue.
        const png = path.join(out, it.png);
        expect(existsSync(png)).toBe(true);
        const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
        const view = await localizeHandlers['localize.mapView']({ jobId: r.jobId, sampleId: it.sampleId }, ctx);
        expect(view.item.box).toEqual(it.box);
        expect(view.values).toHaveLength(32 * 32);
        const at = (q: number): number[] => [data[q * 3]!, data[q * 3 + 1]!, data[q * 3 + 2]!];
        expect(at(view.values.indexOf(255))).toEqual(colormapRgb('jet', 1));
        expect(at(view.values.indexOf(0))).toEqual(colormapRgb('jet', 0));

        // SPG's three stage masks with the paper's thresholds; each has object pixels (the 0.7 x max fallback guarantees one).
        expect(view.stages!.map((s) => [s.stage, s.high, s.low])).toEqual([[1, 0.7, 0.05], [2, 0.5, 0.05], [3, 0.7, 0.1]]);
        for (const s of view.stages!) {
          expect(s.mask).toHaveLength(32 * 32);
          expect(s.mask.every((v) => v === 0 || v === 1 || v === 2)).toBe(true);
          expect(s.mask).toContain(2);
        }
        // A higher threshold keeps a smaller component.
        const tight = await localizeHandlers['localize.mapView']({ jobId: r.jobId, sampleId: it.sampleId, threshold: 0.9 }, ctx);
        const area = (b: number[]): number => (b[2]! - b[0]!) * (b[3]! - b[1]!);
        expect(area(tight.item.box)).toBeLessThanOrEqual(area(it.box));
        expect(tight.threshold).toBe(0.9);
      }
      expect(() => localizeHandlers['localize.mapView']({ jobId: r.jobId, sampleId: 999_999 }, ctx)).toThrow(/sampleId/);
    } finally {
      ws.close();
    }

    // CAM: the first N of a split, gray blended half over the image; no stage masks. The dataset by its name.
    const camOut = path.join(env.dir, 'maps-cam');
    const cam = await run(['--model', String(camId), '--dataset', setName, '--split', 'test', '--limit', '2', '--colormap', 'gray', '--blend', '0.5', '--out', camOut, '--backend', 'wasm']);
    expect(cam.code, cam.stderr).toBe(0);
    const c = JSON.parse(cam.stdout) as LocalizeMapsResult & { jobId: number };
    expect(c.method).toBe('cam');
    expect(c.datasetId).toBe(setId);
    expect(c.stages).toBeNull();
    expect(c.items.map((i) => i.sampleId)).toEqual(testSamples.slice(0, 2));
    const ws2 = Workspace.open(wsDir);
    try {
      const view = await localizeHandlers['localize.mapView']({ jobId: c.jobId, sampleId: c.items[0]!.sampleId }, { ws: ws2 } as ServiceContext);
      expect(view.stages).toBeNull();
      const reader = await openDatasetReader(ws2.db, setId, { split: 'test', size: [32, 32], channels: 1 });
      const image = await reader.read([0]);
      const { data } = await sharp(path.join(camOut, c.items[0]!.png)).raw().toBuffer({ resolveWithObject: true });
      let worst = 0;
      for (let q = 0; q < 32 * 32; q++) worst = Math.max(worst, Math.abs(data[q * 3]! - (0.5 * view.values[q]! + 0.5 * image[q]!)));
      expect(worst).toBeLessThanOrEqual(1.5);
    } finally {
      ws2.close();
    }

    // Without --json: one line and a table row per sample.
    const human = await runWorkbench(['--workspace', wsDir, 'localize', 'maps', '--model', String(camId), '--dataset', String(setId), '--samples', String(chosen[0]), '--out', camOut, '--backend', 'wasm'], { timeoutMs: 120_000 });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^Maps \\d+: model ${camId} \\(cam\\) on dataset ${setId}, 1 sample, threshold 0.2; written to ${camOut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(human.stdout).toMatch(new RegExp(`\\n\\s*${chosen[0]}\\s+shape\\d\\s+shape\\d\\s+[\\d.]+%\\s+[\\d,]+\\s+1\\s+[\\d.]+\\s+${chosen[0]}\\.png`));

    // Bad input is refused before anything is queued, naming the field.
    const bad = [
      { args: ['--model', String(plainId), '--dataset', String(setId), '--limit', '1'], field: /modelId: model \d+ is not a localization model/ },
      { args: ['--model', String(spgId), '--dataset', String(setId), '--samples', `${chosen[0]},999999`], field: /sampleIds: 999999 is not a sample/ },
      { args: ['--model', String(spgId), '--dataset', String(setId), '--limit', '1', '--threshold', '1.5'], field: /threshold/ },
      { args: ['--model', String(spgId), '--dataset', String(setId), '--limit', '1', '--split', 'nope'], field: /split: .*'nope'/ },
    ];
    for (const b of bad) {
      const res2 = await run([...b.args, '--out', path.join(env.dir, 'bad')]);
      expect(res2.code).not.toBe(0);
      expect(res2.stderr).toMatch(b.field);
    }
    const jobs = await runWorkbench(['--workspace', wsDir, '--json', 'jobs', 'list']);
    const kinds = (JSON.parse(jobs.stdout) as { kind: string }[]).map((j) => j.kind).filter((k) => k === 'localize.maps');
    expect(kinds).toHaveLength(3);
    expect(existsSync(path.join(env.dir, 'bad'))).toBe(false);
  }, 300_000);
});

describe('localize.maps on images larger than the model input', () => {
  let env2: ReturnType<typeof tempWorkspace>;
  afterAll(() => env2?.cleanup());

  it('draws each map, box and stage mask at the stored image size (48 x 40), GT boxes as stored, the heatmap blended over the image itself', async () => {
    env2 = tempWorkspace();
    const ws = env2.ws;
    const root = path.join(env2.dir, 'wide');
    mkdirSync(root, { recursive: true });
    const ds = Number(ws.db.prepare("INSERT INTO datasets (name, format, root_path, info) VALUES ('wide', 'imagefolder', ?, '{}')").run(root).lastInsertRowid);
    for (let k = 0; k < 2; k++) ws.db.prepare('INSERT INTO classes (dataset_id, idx, name) VALUES (?, ?, ?)').run(ds, k, `c${k}`);
    const insert = ws.db.prepare('INSERT INTO samples (dataset_id, path, split, label, width, height, channels, size_bytes, mtime_ms, boxes) VALUES (?, ?, ?, ?, 48, 40, 1, ?, ?, ?)');
    const stored: [number, number, number, number][] = [];
    for (let i = 0; i < 8; i++) {
      const label = i % 2;
      const [x0, y0] = [4 + i * 3, 3 + i * 2];
      const box: [number, number, number, number] = [x0, y0, x0 + 14, y0 + (label ? 18 : 10)];
      const px = new Uint8Array(48 * 40);
      for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) px[y * 48 + x] = x >= box[0] && x < box[2] && y >= box[1] && y < box[3] ? 200 : (x * 3 + y * 5) % 40;
      const file = `w${i}.png`;
      await sharp(Buffer.from(px), { raw: { width: 48, height: 40, channels: 1 } }).png().toFile(path.join(root, file));
      const st = statSync(path.join(root, file));
      insert.run(ds, file, 'train', label, st.size, Math.floor(st.mtimeMs), JSON.stringify([box]));
      stored.push(box);
    }
    const train = await runDirect(ws, localizeTrainJob, { datasetId: ds, method: 'spg', arch: 'resnet20', widthMultiplier: 0.25, imageSize: [32, 32], epochs: 1, batchSize: 8, spg: { branchChannels: 4 } });
    const modelId = (ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(train.jobId) as { id: number }).id;
    const ids = (ws.db.prepare('SELECT id FROM samples WHERE dataset_id = ? ORDER BY id').all(ds) as { id: number }[]).map((r) => r.id);
    const maps = await runDirect(ws, localizeMapsJob, { modelId, datasetId: ds, sampleIds: [ids[1], ids[2]], colormap: 'gray', blend: 0.5 });
    const r = maps.result;
    expect([r.width, r.height]).toEqual([32, 32]);
    expect(r.items.map((i) => [i.width, i.height, i.offset])).toEqual([[48, 40, 0], [48, 40, 1920]]);
    expect(r.items.map((i) => i.gtBoxes.map((g) => g.box))).toEqual([[stored[1]], [stored[2]]]);
    const ctx = { ws } as ServiceContext;
    for (const it of r.items) {
      const [x0, y0, x1, y1] = it.box;
      expect(0 <= x0 && x0 < x1 && x1 <= 48 && 0 <= y0 && y0 < y1 && y1 <= 40).toBe(true);
      const view = await localizeHandlers['localize.mapView']({ jobId: maps.jobId, sampleId: it.sampleId }, ctx);
      expect([view.width, view.height, view.values.length]).toEqual([48, 40, 1920]);
      expect(view.stages!.map((s) => s.mask.length)).toEqual([1920, 1920, 1920]);
      for (const s of view.stages!) expect(s.mask).toContain(2);
      const { data, info } = await sharp(path.join(ws.dir, r.dir, it.png)).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([48, 40]);
      const image = await sharp(path.join(root, `w${ids.indexOf(it.sampleId)}.png`)).greyscale().raw().toBuffer();
      let worst = 0;
      for (let q = 0; q < 1920; q++) worst = Math.max(worst, Math.abs(data[q * 3]! - (0.5 * view.values[q]! + 0.5 * image[q]!)));
      expect(worst).toBeLessThanOrEqual(1.5);
    }
  }, 120_000);
});
