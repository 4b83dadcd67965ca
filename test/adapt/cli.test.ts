import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkbench } from '../helpers/cli.ts';
import { tempWorkspace } from '../spgan/helpers.ts';
import { addBackgroundDataset, addObjectDataset } from '../localize/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let patchesId = 0;
let wsDir = '';

beforeAll(async () => {
  env = tempWorkspace();
  wsDir = env.ws.dir;
  sourceId = await addObjectDataset(env.ws, path.join(env.dir, 'gray'), 8, 16);
  env.ws.db.prepare("UPDATE samples SET split = 'test' WHERE dataset_id = ? AND id % 4 = 0").run(sourceId);
  patchesId = await addBackgroundDataset(env.ws, path.join(env.dir, 'colour'), 3, 32);
  env.ws.close();
});
afterAll(() => env?.cleanup());

describe('workbench adapt (CLI, real job processes)', () => {
  it('generate, train and runs --json each print one JSON document; a bad method is refused naming the field', async () => {
    const run = (args: string[]) => runWorkbench(['--workspace', wsDir, '--json', 'adapt', ...args], { timeoutMs: 120_000 });
    const gen = await run(['generate', '--source', String(sourceId), '--patches', String(patchesId), '--seed', '2']);
    expect(gen.code, gen.stderr).toBe(0);
    const targetId = (JSON.parse(gen.stdout) as { datasetId: number }).datasetId;
    expect(targetId).toBeGreaterThan(0);
    const config = path.join(env.dir, 'adapt.json');
    writeFileSync(config, JSON.stringify({ arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, batchSize: 6 }));
    const train = await run(['train', '--method', 'dann', '--source', String(sourceId), '--target', String(targetId), '--config', config, '--epochs', '1', '--backend', 'wasm']);
    expect(train.code, train.stderr).toBe(0);
    const result = JSON.parse(train.stdout) as { method: string; modelId: number; history: { losses: Record<string, number> }[]; targetAccuracy: number };
    expect(result).toMatchObject({ method: 'dann' });
    expect(result.modelId).toBeGreaterThan(0);
    expect(Object.keys(result.history[0]!.losses)).toContain('domain');
    const runs = await run(['runs']);
    expect(JSON.parse(runs.stdout)).toEqual([expect.objectContaining({ method: 'dann', sourceDatasetId: sourceId, targetDatasetId: targetId, targetAccuracy: result.targetAccuracy })]);
    const bad = await runWorkbench(['--workspace', wsDir, 'adapt', 'train', '--method', 'magic', '--source', String(sourceId), '--target', String(targetId)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/method/);
  }, 240_000);
});
