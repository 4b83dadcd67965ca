import { describe, it, expect } from 'vitest';
import { benchmark, summarise } from '../../src-main/models/latency/benchmark.ts';

describe('latency benchmark harness', () => {
  it('runs warm-up calls untimed and summarises the timed ones', async () => {
    // A fake clock: each timed call takes 1, 2, 3, 4 ms in turn.
    let clock = 0;
    let calls = 0;
    const durations = [100, 100, 1, 2, 3, 4]; // the first two are warm-up
    const stats = await benchmark(
      () => {
        clock += durations[calls++]!;
      },
      { warmup: 2, runs: 4, now: () => clock },
    );
    expect(calls).toBe(6);
    expect(stats).toMatchObject({ warmup: 2, runs: 4, meanMs: 2.5, minMs: 1, maxMs: 4, medianMs: 2.5, p90Ms: 4 });
    expect(stats.stdMs).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('gives zero spread for a single run and refuses zero runs', async () => {
    expect(summarise([7], 0)).toMatchObject({ meanMs: 7, stdMs: 0, medianMs: 7, p90Ms: 7 });
    await expect(benchmark(() => undefined, { warmup: 0, runs: 0 })).rejects.toThrow(/runs must be a positive integer/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(benchmark(() => undefined, { warmup: 1, runs: 3, signal: controller.signal })).rejects.toThrow();
  });
});
