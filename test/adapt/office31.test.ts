import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { startEngine } from '../../src-main/engine/start.ts';
import { adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import type { AdaptTrainResult } from '../../src-main/common/contract/adapt.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { tempWorkspace } from '../spgan/helpers.ts';
import { addObjectDataset } from '../localize/helpers.ts';

/**
 * Office-31's layout (root/<domain>/images/<class>/frame_NNNN.jpg) in small
 * real JPEG files: each class a shape, each domain its own look, and the
 * webcam's images of two sizes as Office-31's differ. Imported by the CLI
 * (auto-detected as domain folders), then two of its domains picked as
 * source and target.
 */
const classes = ['back_pack', 'bike', 'calculator'];
const domains = { amazon: { n: 3, sizes: [[24, 24]] }, dslr: { n: 2, sizes: [[28, 28]] }, webcam: { n: 3, sizes: [[20, 16], [24, 18]] } } as const;

function pixels(domain: keyof typeof domains, label: number, i: number, h: number, w: number): Buffer {
  const px = Buffer.alloc(h * w * 3);
  const bg = { amazon: [250, 250, 250], dslr: [90, 70, 60], webcam: [40, 60, 90] }[domain];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [cy, cx] = [y - h / 2, x - w / 2 + (i % 2)];
      // Class 0 a disc, 1 a bar, 2 a square.
      const inside = label === 0 ? cy * cy + cx * cx < (h / 4) ** 2 : label === 1 ? Math.abs(cy) < h / 8 : Math.abs(cy) < h / 4 && Math.abs(cx) < w / 4;
      for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = inside ? 255 - bg[c]! : bg[c]!;
    }
  }
  return px;
}

let env: ReturnType<typeof tempWorkspace>;
let wsDir = '';
let root = '';
let officeId = 0;
/** A class-folder set without domains (named 'objects'). */
let plainId = 0;

beforeAll(async () => {
  env = tempWorkspace();
  wsDir = env.ws.dir;
  root = path.join(env.dir, 'office31');
  for (const [domain, d] of Object.entries(domains) as [keyof typeof domains, (typeof domains)[keyof typeof domains]][]) {
    for (const [label, name] of classes.entries()) {
      const dir = path.join(root, domain, 'images', name);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < d.n; i++) {
        const [h, w] = d.sizes[i % d.sizes.length]!;
        await sharp(pixels(domain, label, i, h, w), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).toFile(path.join(dir, `frame_${String(i + 1).padStart(4, '0')}.jpg`));
      }
    }
  }
  plainId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 4, 16);
  env.ws.close();
});
afterAll(() => env?.cleanup());

describe('Office-31 layout: two domains of one import as source and target', () => {
  it('the CLI imports the folder as domain folders and trains amazon -> webcam with --source-domain / --target-domain (real job processes)', async () => {
    const imp = await runWorkbench(['--workspace', wsDir, '--json', 'datasets', 'import', root, '--name', 'office31'], { timeoutMs: 120_000 });
    expect(imp.code, imp.stderr).toBe(0);
    const ws = Workspace.open(wsDir);
    try {
      const ds = ws.db.prepare("SELECT id, format, info FROM datasets WHERE name = 'office31'").get() as { id: number; format: string; info: string };
      officeId = ds.id;
      expect(ds.format).toBe('domains');
      expect(JSON.parse(ds.info).counts).toMatchObject({ samples: 24, classes: 3, domains: { amazon: 9, dslr: 6, webcam: 9 } });
    } finally {
      ws.close();
    }
    const config = path.join(env.dir, 'office.json');
    writeFileSync(config, JSON.stringify({ modelOptions: { widthMultiplier: 0.25 }, batchSize: 4, inputSize: [16, 16] }));
    const train = await runWorkbench(
      ['--workspace', wsDir, '--json', 'adapt', 'train', '--method', 'dann', '--source', 'office31', '--target', 'office31', '--source-domain', 'amazon', '--target-domain', 'webcam', '--config', config, '--epochs', '1', '--backend', 'wasm'],
      { timeoutMs: 180_000 },
    );
    expect(train.code, train.stderr).toBe(0);
    const r = JSON.parse(train.stdout) as AdaptTrainResult;
    expect(r).toMatchObject({ method: 'dann', sourceDatasetId: officeId, targetDatasetId: officeId, chance: 1 / 3, sourceAccuracy: null });
    // Every webcam image is measured: the accuracy is a multiple of 1/9.
    expect(r.targetAccuracy! * 9).toBeCloseTo(Math.round(r.targetAccuracy! * 9), 6);
  }, 300_000);

  it('reads every labelled image of the source domain for training and every target image unlabeled and as the test set', async () => {
    expect(officeId).toBeGreaterThan(0);
    await startEngine('wasm');
    const ws = Workspace.open(wsDir);
    try {
      const lines: string[] = [];
      const out = await runJobInProcess(ws, adaptTrainJob, { method: 'source-only', sourceDatasetId: officeId, targetDatasetId: officeId, sourceDomain: 'dslr', targetDomain: 'webcam', modelOptions: { widthMultiplier: 0.25 }, batchSize: 4, epochs: 1 }, { log: (l) => lines.push(l) });
      expect(out.status, out.error ?? '').toBe('succeeded');
      // dslr's images share one size (28x28), the default input size; webcam's are resized to it.
      expect(lines.find((l) => l.startsWith('Source:'))).toBe('Source: 6 training / 0 test images; target: 9 unlabeled / 9 held-out test images, 28x28x3, 3 classes.');
    } finally {
      ws.close();
    }
  }, 120_000);

  it.each([
    [{ sourceDomain: 'Amazon', targetDomain: 'webcam' }, /^sourceDomain: dataset \d+ "office31" has no domain "Amazon" \(its domains: amazon, dslr, webcam\)/],
    [{ sourceDomain: 'amazon', targetDomain: 'amazon' }, /^targetDatasetId: .*another domain of it/],
    [{}, /^targetDatasetId: .*another domain of it/],
    [{ sourceDomain: 'webcam', targetDomain: 'amazon' }, /^inputSize: the images of domain "webcam" differ in size/],
    [{ sourceDomain: 'amazon', targetDomain: 'webcam', target: 'plain' }, /^targetDomain: dataset \d+ "objects" has no domain "webcam" \(it was not imported as domain folders\)/],
  ])('%j is refused before the job starts, naming the field', (over, message) => {
    expect(officeId).toBeGreaterThan(0);
    const { target, ...domainsOver } = over as { target?: 'plain'; sourceDomain?: string; targetDomain?: string };
    const ws = Workspace.open(wsDir);
    try {
      const params = adaptTrainJob.params.parse({ method: 'source-only', sourceDatasetId: officeId, targetDatasetId: target === 'plain' ? plainId : officeId, ...domainsOver });
      expect(() => adaptTrainJob.preflight!(params, ws)).toThrow(message);
    } finally {
      ws.close();
    }
  });
});

