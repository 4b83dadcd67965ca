import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkbench, runWorkbenchInProcess } from '../helpers/cli.ts';
import { tempWorkspace, addReidDataset } from './helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let targetId = 0;
let wsDir = '';

beforeAll(async () => {
  env = tempWorkspace();
  wsDir = env.ws.dir;
  sourceId = await addReidDataset(env.ws, path.join(env.dir, 'src'), 'source', [
    { personId: 1, camera: 1, split: 'train', rgb: [200, 0, 0] },
    { personId: 2, camera: 2, split: 'query', rgb: [0, 200, 0] },
  ]);
  targetId = await addReidDataset(env.ws, path.join(env.dir, 'tgt'), 'target', [{ personId: 3, camera: 1, split: 'train', rgb: [0, 0, 200] }]);
  env.ws.close(); // the CLI opens the workspace itself
});

afterAll(() => env?.cleanup());

// Each CLI process costs seconds on a loaded machine: the two jobs run through the binary, the
// listing and the refusal through the same CLI in this process.
describe('workbench spgan (CLI, real job processes)', () => {
  it('spgan train --config, spgan translate --run --dataset, spgan runs', async () => {
    const config = path.join(env.dir, 'spgan.json');
    writeFileSync(config, JSON.stringify({ sourceDatasetId: sourceId, targetDatasetId: targetId, imageSize: [32, 16], residualBlocks: 1, generatorWidth: 4, discriminatorWidth: 4, discriminatorLayers: 2, siameseWidth: 4, epochs: 1, batchSize: 1, sampleCount: 1 }));
    const train = await runWorkbench(['--workspace', wsDir, '--json', 'spgan', 'train', '--config', config, '--backend', 'wasm'], { timeoutMs: 120_000 });
    expect(train.code, train.stderr).toBe(0);
    const run = JSON.parse(train.stdout) as { jobId: number; secondsPerEpoch: number[]; lastLosses: Record<string, number> };
    expect(run.secondsPerEpoch).toHaveLength(1);
    expect(Object.keys(run.lastLosses)).toEqual(expect.arrayContaining(['d_A', 'd_B', 'g_adv', 'cycle', 'identity', 'contrastive', 'siamese']));

    const tr = await runWorkbench(['--workspace', wsDir, '--json', 'spgan', 'translate', '--run', String(run.jobId), '--dataset', String(sourceId), '--backend', 'wasm'], { timeoutMs: 120_000 });
    expect(tr.code, tr.stderr).toBe(0);
    const made = (JSON.parse(tr.stdout) as { dataset: { datasetId: number; samples: number; lineage: { runJobId: number; epoch: number } } }).dataset;
    expect(made).toMatchObject({ samples: 2, lineage: { runJobId: run.jobId, epoch: 1 } });

    const runs = await runWorkbenchInProcess(['--workspace', wsDir, 'spgan', 'runs']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`^${run.jobId}\\s+succeeded`, 'm'));
    expect(existsSync(path.join(wsDir, 'artifacts', 'jobs', String(run.jobId), 'checkpoints', 'epoch-001.bin'))).toBe(true);
  }, 240_000); // two job processes, each allowed 120 s above

  it('refuses a translation with a job that is not an SPGAN run, naming runJobId', async () => {
    const bad = await runWorkbenchInProcess(['--workspace', wsDir, 'spgan', 'translate', '--run', '999', '--dataset', String(sourceId)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/runJobId: job 999 does not exist/);
  });
});
