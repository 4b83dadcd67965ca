import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { runWorkbench } from '../helpers/cli.ts';
import { startEngine } from '../../src-main/engine/start.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { adaptGenerateJob, adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import type { AdaptEvalResult, AdaptTrainResult } from '../../src-main/common/contract/adapt.ts';
import { runDirect, tempWorkspace } from '../spgan/helpers.ts';
import { addBackgroundDataset, addObjectDataset } from '../localize/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let wsDir = '';
let runId = 0;
let trained: AdaptTrainResult;

beforeAll(async () => {
  await startEngine('wasm');
  env = tempWorkspace();
  wsDir = env.ws.dir;
  const sourceId = await addObjectDataset(env.ws, path.join(env.dir, 'gray'), 8, 16);
  env.ws.db.prepare("UPDATE samples SET split = 'test' WHERE dataset_id = ? AND id % 4 = 0").run(sourceId);
  const patchesId = await addBackgroundDataset(env.ws, path.join(env.dir, 'colour'), 3, 32);
  const gen = await runDirect(env.ws, adaptGenerateJob, { sourceDatasetId: sourceId, patchDatasetId: patchesId, seed: 2 });
  const targetId = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(gen.jobId) as { id: number }).id;
  const run = await runDirect(env.ws, adaptTrainJob, { method: 'dann', sourceDatasetId: sourceId, targetDatasetId: targetId, arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, epochs: 1, batchSize: 6 });
  runId = run.jobId;
  trained = run.result;
  env.ws.close();
}, 120_000);
afterAll(() => env?.cleanup());

describe('workbench adapt eval (CLI, a real job process)', () => {
  it('prints one JSON document with both accuracies, the confusion and the embedding; bad input is refused before a job is queued, naming the field', async () => {
    const ok = await runWorkbench(['--workspace', wsDir, '--json', 'adapt', 'eval', '--run', String(runId), '--embed', '3'], { timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);
    const r = JSON.parse(ok.stdout) as AdaptEvalResult & { evalJobId: number };
    expect(r).toMatchObject({ jobId: runId, method: 'dann', sourceSplit: 'test', targetSplit: 'test' });
    expect(r.target.accuracy).toBeCloseTo(trained.targetAccuracy!, 9);
    expect(r.embedding.points).toHaveLength(6);
    const text = await runWorkbench(['--workspace', wsDir, 'adapt', 'eval', '--run', String(runId), '--embed', '3'], { timeoutMs: 120_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\(dann\): source [\d.]+% of 6 \(test\), target [\d.]+% of 6 \(test\); chance 33\.3%/);
    expect(text.stdout).toMatch(/shape0\s+[\d.]+%\s+2\s/);
    const bad = await runWorkbench(['--workspace', wsDir, 'adapt', 'eval', '--run', String(runId), '--target-split', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/targetSplit: dataset \d+ .* has no labeled image in split 'nope'/);
    const ws = Workspace.open(wsDir);
    try {
      expect((ws.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE kind = ?').get(jobKinds.adaptEval) as { n: number }).n).toBe(2);
    } finally {
      ws.close();
    }
  }, 240_000);
});
