/**
 * The engine as the user drives it from the command line: `engine info`
 * (probed in a child process) and `bench engine` (a real engine.bench job in a
 * job process, with the PyTorch baseline where Debian's python3-torch is installed).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { runWorkbench } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import type { EngineBenchResult, EngineInfo } from '../../src-main/common/contract/engine.ts';

const ws = tempDir('wb-engine-');
afterAll(() => ws.cleanup());

describe('engine commands', () => {
  it('engine info --json prints one EngineInfo document for a forced backend', async () => {
    const r = await runWorkbench(['--workspace', ws.dir, 'engine', 'info', '--backend', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as EngineInfo;
    expect(info).toMatchObject({ backend: 'cpu', device: 'CPU', threads: 1, simd: false });
    expect(info.versions['tfjs-backend-cpu']).toBe('4.22.0');
  });

  it('bench engine runs a job and returns both sides, interleaved repeats, medians with spread and the ratios of medians', async () => {
    const r = await runWorkbench(
      ['--workspace', ws.dir, 'bench', 'engine', '--models', 'resnet20', '--batch', '4', '--steps', '1', '--repeats', '2', '--backend', 'wasm', '--json'],
      { timeoutMs: 150_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as EngineBenchResult;
    expect(result.engine.backend).toBe('wasm');
    expect(result.repeats).toBe(2);
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0]!;
    expect(row.input).toEqual([32, 32, 3]);
    expect(row.batch).toBe(4);
    expect(row.workbench.modelSource).toBe('registry');
    expect(row.workbench.repeats).toBe(2);
    for (const [value, [lo, hi]] of [
      [row.workbench.trainImagesPerSec, row.workbench.spread.train],
      [row.workbench.inferImagesPerSec, row.workbench.spread.infer],
      [row.workbench.inferBatch1ImagesPerSec!, row.workbench.spread.inferBatch1!],
    ] as const) {
      expect(value).toBeGreaterThan(0);
      // The median of two repeats is their mean: inside the spread.
      expect(value).toBeCloseTo((lo + hi) / 2, 6);
    }
    expect(row.workbench.peakMemoryMiB).toBeGreaterThan(10);
    if (row.pytorch) {
      expect(row.pytorch.runtime).toMatch(/^torch .* \(\d+ threads?\)$/);
      expect(row.pytorch.repeats).toBe(2);
      expect(row.trainRatio).toBeCloseTo(row.workbench.trainImagesPerSec / row.pytorch.trainImagesPerSec, 6);
      expect(row.inferRatioBatch1).toBeCloseTo(row.workbench.inferBatch1ImagesPerSec! / row.pytorch.inferBatch1ImagesPerSec!, 6);
      expect(row.memoryRatio).toBeCloseTo(row.workbench.peakMemoryMiB / row.pytorch.peakMemoryMiB, 6);
    } else {
      expect(result.pytorchNote).toMatch(/PyTorch|python3/);
      expect(row.trainRatio).toBeNull();
    }
  }, 160_000);

  it('bench engine times one SPGAN step of the product model at its own batch', async () => {
    const r = await runWorkbench(
      ['--workspace', ws.dir, 'bench', 'engine', '--models', 'spgan-step', '--steps', '1', '--repeats', '1', '--no-batch-one', '--no-pytorch', '--backend', 'wasm', '--json'],
      { timeoutMs: 150_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const row = (JSON.parse(r.stdout) as EngineBenchResult).rows[0]!;
    expect(row).toMatchObject({ model: 'spgan-step', input: [128, 64, 3], batch: 4, pytorch: null, trainRatio: null });
    expect(row.description).toMatch(/SPGAN step/);
    expect(row.workbench.modelSource).toBe('spgan');
    expect(row.workbench.trainImagesPerSec).toBeGreaterThan(0);
    expect(row.workbench.inferBatch1ImagesPerSec).toBeNull();
  }, 160_000);

  it('bench engine runs each model in its own process; a failing model is named and the other rows still come back', async () => {
    // resnet20 twice around a resnet56 made to fail: the two resnet20 rows must come from two
    // different processes (neither the CLI's nor the job process's), each with its own peak.
    const r = await runWorkbench(
      ['--workspace', ws.dir, 'bench', 'engine', '--models', 'resnet20,resnet56,resnet20', '--batch', '2', '--steps', '1', '--repeats', '1', '--no-batch-one', '--no-pytorch', '--backend', 'wasm', '--json'],
      { timeoutMs: 150_000, env: { WORKBENCH_BENCH_FAIL_MODEL: 'resnet56' } },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as EngineBenchResult;
    expect(result.rows.map((row) => row.model)).toEqual(['resnet20', 'resnet20']);
    const pids = result.rows.map((row) => row.workbench.processId);
    for (const pid of pids) expect(pid).toBeGreaterThan(0);
    expect(new Set(pids).size).toBe(2);
    for (const row of result.rows) {
      expect(row.workbench.peakMemoryMiB).toBeGreaterThan(10);
      expect(row).toHaveProperty('trainRatio', null);
      expect(row).toHaveProperty('inferRatio', null);
      expect(row).toHaveProperty('memoryRatio', null);
    }
    expect(result.memoryNote).toMatch(/one process per model/);
    expect(result.failures).toEqual([{ model: 'resnet56', message: expect.stringMatching(/^resnet56: .*failed on purpose/) }]);
  }, 160_000);

  it('bench engine rejects an unknown model, naming the option', async () => {
    const r = await runWorkbench(['--workspace', ws.dir, 'bench', 'engine', '--models', 'resnet99']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/models/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
