import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkbench } from '../helpers/cli.ts';
import { tempWorkspace, addReidDataset } from '../spgan/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let trainId = 0;
let targetId = 0;
let wsDir = '';

beforeAll(async () => {
  env = tempWorkspace();
  wsDir = env.ws.dir;
  trainId = await addReidDataset(env.ws, path.join(env.dir, 'src'), 'source', [
    { personId: 1, camera: 1, split: 'train', rgb: [200, 0, 0] },
    { personId: 1, camera: 2, split: 'train', rgb: [190, 10, 0] },
    { personId: 2, camera: 1, split: 'train', rgb: [0, 200, 0] },
    { personId: 2, camera: 2, split: 'train', rgb: [10, 190, 0] },
  ], [64, 32]);
  targetId = await addReidDataset(env.ws, path.join(env.dir, 'tgt'), 'target', [
    { personId: 3, camera: 1, split: 'query', rgb: [0, 0, 200] },
    { personId: 3, camera: 2, split: 'gallery', rgb: [0, 10, 190] },
    { personId: 4, camera: 1, split: 'gallery', rgb: [100, 100, 0] },
  ], [64, 32]);
  // The CLI opens the workspace itself (one writer per workspace).
  env.ws.close();
});

afterAll(() => env?.cleanup());

describe('workbench reid (CLI, real job processes)', () => {
  it('reid train --config then reid eval --json prints CMC and mAP as one JSON document', async () => {
    const config = path.join(env.dir, 'ide.json');
    writeFileSync(config, JSON.stringify({ datasetId: trainId, arch: 'resnet18', imageSize: [64, 32], width: 8, epochs: 1, batchSize: 4 }));
    const train = await runWorkbench(['--workspace', wsDir, '--json', 'reid', 'train', '--config', config, '--backend', 'wasm'], { timeoutMs: 120_000 });
    expect(train.code, train.stderr).toBe(0);
    const modelId = (JSON.parse(train.stdout) as { modelId: number }).modelId;
    expect(modelId).toBeGreaterThan(0);

    const ev = await runWorkbench(['--workspace', wsDir, '--json', 'reid', 'eval', '--model', String(modelId), '--query', String(targetId), '--gallery', String(targetId), '--backend', 'wasm'], { timeoutMs: 120_000 });
    expect(ev.code, ev.stderr).toBe(0);
    const m = JSON.parse(ev.stdout) as { rank1: number; rank5: number; rank10: number; rank20: number; mAP: number; queries: number; gallery: number };
    expect(m.queries).toBe(1);
    expect(m.gallery).toBe(2);
    // One good image among two gallery images: ranked first -> rank-1 1, AP (1 + 1)/2 = 1;
    // ranked second -> rank-1 0, AP (p_old 0/1 + p 1/2)/2 = 0.25 (the trapezoid starts from precision 1 only at rank 1).
    expect([1, 0]).toContain(m.rank1);
    expect(m.rank5).toBe(1);
    expect(m.mAP).toBe(m.rank1 === 1 ? 1 : 0.25);
  });

  it('bad input fails before the job starts with a message naming the file or field', async () => {
    const missing = await runWorkbench(['--workspace', wsDir, 'reid', 'train', '--config', path.join(env.dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--config .*nope\.json: cannot read the file/);
    const noQuery = await runWorkbench(['--workspace', wsDir, 'reid', 'eval', '--model', '1', '--query', String(trainId)]);
    expect(noQuery.code).toBe(1);
    expect(noQuery.stderr).toMatch(/queryDatasetId: dataset \d+ "source" has no 'query' split/);
  });
});
