/**
 * Cancelling the engine benchmark while a model's own process runs: the process is killed (not
 * left to finish its steps), the run rejects as cancelled, and no later model's process starts.
 */
import { describe, it, expect } from 'vitest';
import { benchModelByModel } from '../../src-main/bench/engine/model-by-model.ts';
import { engineBenchParamsSchema } from '../../src-main/common/contract/engine.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cancelling the engine benchmark', () => {
  it('kills the running model process and starts no other', async () => {
    // Enough steps that the first model alone would run far longer than the test waits.
    const params = engineBenchParamsSchema.parse({ models: ['resnet20', 'resnet56'], batchSize: 8, trainSteps: 1000, inferSteps: 1000, repeats: 1, batchOne: false, pytorch: false });
    const controller = new AbortController();
    const started: number[] = [];
    const lines: string[] = [];
    const run = benchModelByModel(params, {
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        const pid = /benchmarking in process (\d+)/.exec(line)?.[1];
        if (pid) started.push(Number(pid));
      },
      // The first progress report comes from inside the child, once it is training.
      progress: () => controller.abort(),
    }, 'wasm');
    await expect(run).rejects.toThrow('cancelled');
    expect(started).toHaveLength(1);
    expect(lines[0]).toMatch(/^resnet20: benchmarking in process/);
    // SIGKILL is delivered before the exit event that settled the promise.
    expect(alive(started[0]!)).toBe(false);
  }, 120_000);

  it('starts nothing when cancelled before the first model', async () => {
    const params = engineBenchParamsSchema.parse({ models: ['resnet20'], batchSize: 2, trainSteps: 1, inferSteps: 1, repeats: 1, batchOne: false, pytorch: false });
    const controller = new AbortController();
    controller.abort();
    const lines: string[] = [];
    await expect(benchModelByModel(params, { signal: controller.signal, log: (line) => lines.push(line) }, 'wasm')).rejects.toThrow('cancelled');
    expect(lines).toEqual([]);
  });
});
