import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkbench } from '../helpers/cli.ts';
import { startEngine } from '../../src-main/engine/start.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { runJobInProcess } from '../../src-main/core/jobs/in-process.ts';
import { adaptTrainJob } from '../../src-main/adapt/jobs.ts';
import type { AdaptTrainResult } from '../../src-main/common/contract/adapt.ts';
import { tempWorkspace } from '../spgan/helpers.ts';
import { addBackgroundDataset, addObjectDataset } from '../localize/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let sourceId = 0;
let patchesId = 0;
let wsDir = '';
let targetId = 0;

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
    targetId = (JSON.parse(gen.stdout) as { datasetId: number }).datasetId;
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

  it('`jobs resume` continues an adapt.train job cancelled after epoch 1 in a job process, to the weights of an uninterrupted run; `adapt attention` compares its maps with source-only', async () => {
    expect(targetId).toBeGreaterThan(0);
    await startEngine('wasm');
    const params = { method: 'dann', sourceDatasetId: sourceId, targetDatasetId: targetId, arch: 'resnet20', modelOptions: { widthMultiplier: 0.25 }, epochs: 2, batchSize: 6, seed: 3 };
    const ws = Workspace.open(wsDir);
    let full: AdaptTrainResult;
    let cutId: number;
    try {
      const done = await runJobInProcess(ws, adaptTrainJob, params);
      expect(done.status).toBe('succeeded');
      full = done.result!;
      const cut = await runJobInProcess(ws, adaptTrainJob, params, { onMetrics: (points) => points.some((m) => m.epoch === 1) });
      expect(cut.status).toBe('cancelled');
      cutId = cut.jobId;
      // The job process of the resumed job runs on the backend its parent ran on.
      ws.db.prepare("UPDATE jobs SET backend = 'wasm' WHERE id = ?").run(cutId);
    } finally {
      ws.close();
    }
    const resumed = await runWorkbench(['--workspace', wsDir, '--json', 'jobs', 'resume', String(cutId)], { timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { id: number; status: string; parentJobId: number | null };
    expect(summary).toMatchObject({ status: 'succeeded' });
    const check = Workspace.open(wsDir);
    try {
      const row = check.db.prepare('SELECT parent_job_id, result FROM jobs WHERE id = ?').get(summary.id) as { parent_job_id: number; result: string };
      expect(row.parent_job_id).toBe(cutId);
      const result = JSON.parse(row.result) as AdaptTrainResult;
      expect(result.history).toEqual(full.history);
      const weights = (r: AdaptTrainResult): Buffer => readFileSync(path.join(wsDir, r.modelDir, 'weights.bin'));
      expect(weights(result).equals(weights(full))).toBe(true);
      const logs = check.db.prepare('SELECT line FROM job_logs WHERE job_id = ?').all(summary.id) as { line: string }[];
      expect(logs.some((l) => /^Resuming from .*epoch-0001 after epoch 1\.$/.test(l.line))).toBe(true);
      // A source-only run to compare the resumed DANN run's attention with.
      expect((await runJobInProcess(check, adaptTrainJob, { ...params, method: 'source-only', epochs: 1 })).status).toBe('succeeded');
    } finally {
      check.close();
    }
    const attention = await runWorkbench(['--workspace', wsDir, 'adapt', 'attention', '--run', String(summary.id), '--count', '2'], { timeoutMs: 120_000 });
    expect(attention.code, attention.stderr).toBe(0);
    const lines = attention.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Attention maps of run ${summary.id} \\(dann\\) beside source-only run \\d+, 3 stages \\(16x16, 8x8, 4x4\\); PNGs in the folder of job \\d+\\.$`));
    // A header, a rule, and two source and two target images (DANN has no translation of its own).
    expect(lines.slice(1).filter((l) => /^(source|target)\b/.test(l))).toHaveLength(4);
    const bad = await runWorkbench(['--workspace', wsDir, 'adapt', 'attention', '--run', String(cutId)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/jobId: job \d+ is not a finished adaptation run/);
  }, 240_000);
});
