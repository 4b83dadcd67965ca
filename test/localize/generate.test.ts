import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { Rng } from '../../src-main/common/random.ts';
import { composeSample, resizeGray, defaultComposeOptions } from '../../src-main/localize/generate.ts';
import { localizeGenerateJob } from '../../src-main/localize/jobs.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';
import { addObjectDataset, addBackgroundDataset } from './helpers.ts';

describe('composeSample', () => {
  // A 4x4 object: a bright 2x2 block at rows 1-2, cols 0-1 (box [0,1,2,3] in object pixels).
  const object = { data: Uint8Array.from([0, 0, 0, 0, 200, 200, 0, 0, 200, 200, 0, 0, 0, 0, 0, 0]), width: 4, height: 4 };

  it('records the tight box and mask of the pasted object, inside the canvas; the same seed gives the same image', () => {
    const o = { ...defaultComposeOptions, recipe: 'cluttered' as const, canvas: 12, scale: [1, 1] as [number, number], fragments: 0 };
    const a = composeSample(object, [], null, new Rng(3), o);
    const [x0, y0, x1, y1] = a.box;
    expect(x1 - x0).toBe(2);
    expect(y1 - y0).toBe(2);
    expect(x0).toBeGreaterThanOrEqual(0);
    expect(y1).toBeLessThanOrEqual(12);
    // The mask is exactly the box's 4 pixels, which carry the object's value.
    expect(a.mask.reduce((s, v) => s + v, 0)).toBe(4);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      expect(a.mask[y * 12 + x]).toBe(1);
      expect(a.image[y * 12 + x]).toBe(200);
    }
    expect(a.image.reduce((s, v) => s + v, 0)).toBe(800); // black canvas, no fragments
    expect(composeSample(object, [], null, new Rng(3), o)).toEqual(a);
  });

  it('textured: the background shows at its contrast; fragments never overlap the object box', () => {
    const bg = { data: new Uint8Array(12 * 12).fill(100), width: 12, height: 12 };
    const frag = { data: new Uint8Array(16).fill(255), width: 4, height: 4 };
    for (let seed = 0; seed < 20; seed++) {
      const c = composeSample(object, [frag], bg, new Rng(seed), { ...defaultComposeOptions, canvas: 12, scale: [1, 1], fragments: 3, backgroundContrast: 0.5 });
      const [x0, y0, x1, y1] = c.box;
      for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) {
        const v = c.image[y * 12 + x]!;
        const inBox = x >= x0 && x < x1 && y >= y0 && y < y1;
        if (inBox) expect(v).toBe(200);
        else expect([50, 255]).toContain(v); // background at half contrast or a fragment
      }
    }
  });

  it('resizeGray keeps a constant image constant and maps corners', () => {
    const r = resizeGray({ data: new Uint8Array(9).fill(7), width: 3, height: 3 }, 5, 4);
    expect([...r.data].every((v) => v === 7)).toBe(true);
    const g = resizeGray({ data: Uint8Array.from([0, 100]), width: 2, height: 1 }, 4, 1);
    expect([...g.data]).toEqual([0, 25, 75, 100]);
  });
});

describe('the localize.generate job', () => {
  let env: ReturnType<typeof tempWorkspace>;
  let objectsId = 0;
  let backgroundsId = 0;
  beforeAll(async () => {
    env = tempWorkspace();
    objectsId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 6);
    backgroundsId = await addBackgroundDataset(env.ws, path.join(env.dir, 'bg'), 3);
  });
  afterAll(() => env?.cleanup());

  it('stores a decoded dataset with splits, labels, one box per image, masks and lineage', async () => {
    const run = await runDirect(env.ws, localizeGenerateJob, { objectDatasetId: objectsId, backgroundDatasetId: backgroundsId, canvas: 32, train: 8, val: 4, test: 4, seed: 5 });
    const ds = env.ws.db.prepare('SELECT id, format, parent_dataset_id, info FROM datasets WHERE job_id = ?').get(run.jobId) as { id: number; format: string; parent_dataset_id: number; info: string };
    expect(ds.format).toBe('generated');
    expect(ds.parent_dataset_id).toBe(objectsId);
    const info = JSON.parse(ds.info);
    expect(info.counts).toMatchObject({ samples: 16, classes: 3, withBoxes: 16, splits: { train: 8, val: 4, test: 4 } });
    expect(info.extra.lineage).toMatchObject({ kind: 'localization-set', objectDatasetId: objectsId, backgroundDatasetId: backgroundsId });
    expect(existsSync(env.ws.resolve(info.extra.masks.path))).toBe(true);
    const reader = await openDatasetReader(env.ws.db, ds.id, { split: 'test' });
    expect([reader.count, reader.width, reader.height, reader.channels]).toEqual([4, 32, 32, 1]);
    expect(reader.classNames).toEqual(['shape0', 'shape1', 'shape2']);
    const m = reader.meta(0);
    expect(m.boxes).toHaveLength(1);
    const [x0, y0, x1, y1] = m.boxes[0]!;
    // 16 px objects at scale 0.8-1.3 (a shape spans ~0.8 of its side) fit inside the canvas.
    expect(x1 - x0).toBeGreaterThan(8);
    expect(x1 - x0).toBeLessThanOrEqual(26);
    expect(x1).toBeLessThanOrEqual(32);
    expect(y1 - y0).toBeGreaterThan(8);
    // A reader over one split reads the right blob rows: the same seed reproduces the same pixels.
    const again = await runDirect(env.ws, localizeGenerateJob, { objectDatasetId: objectsId, backgroundDatasetId: backgroundsId, canvas: 32, train: 8, val: 4, test: 4, seed: 5 });
    const id2 = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(again.jobId) as { id: number }).id;
    const r2 = await openDatasetReader(env.ws.db, id2, { split: 'test' });
    expect(Buffer.from(await r2.read([0, 3])).equals(Buffer.from(await reader.read([0, 3])))).toBe(true);
    expect(r2.meta(3).boxes).toEqual(reader.meta(3).boxes);
  });

  it('preflight names the field: too few objects, textured without background', () => {
    const p = (over: object) => localizeGenerateJob.params.parse({ objectDatasetId: objectsId, backgroundDatasetId: backgroundsId, train: 8, val: 4, test: 4, ...over });
    expect(() => localizeGenerateJob.preflight!(p({ train: 100 }), env.ws)).toThrow(/objectDatasetId: .* 18 labeled images; .* 108/);
    expect(() => localizeGenerateJob.preflight!(p({ backgroundDatasetId: undefined }), env.ws)).toThrow(/backgroundDatasetId/);
    expect(() => localizeGenerateJob.params.parse({ objectDatasetId: 1, scale: [2, 1] })).toThrow(/scale/);
  });
});
