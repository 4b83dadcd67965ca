import type { LatencyStatsDto } from '../../common/contract/models.ts';

/** Summary of repeated timings of one operation, in milliseconds (stdMs: sample std, n - 1; 0 for one run). */
export type LatencyStats = Omit<LatencyStatsDto, 'imagesPerSecond'>;

export interface BenchmarkOptions {
  /** Untimed calls first: they compile kernels, allocate buffers and warm caches. */
  warmup: number;
  runs: number;
  signal?: AbortSignal;
  /** Clock in milliseconds; injectable so the statistics can be tested exactly. */
  now?: () => number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarise(times: readonly number[], warmup: number): LatencyStats {
  if (times.length === 0) throw new Error('No timed runs to summarise');
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const variance = times.length > 1 ? times.reduce((a, t) => a + (t - mean) ** 2, 0) / (times.length - 1) : 0;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    warmup,
    runs: times.length,
    meanMs: mean,
    stdMs: Math.sqrt(variance),
    minMs: sorted[0]!,
    medianMs: median,
    p90Ms: percentile(sorted, 90),
    maxMs: sorted[sorted.length - 1]!,
  };
}

/**
 * Times `fn` `runs` times after `warmup` untimed calls. `fn` must not resolve
 * before the work is finished (for TF.js: read the result back with data()).
 */
export async function benchmark(fn: () => Promise<unknown> | unknown, options: BenchmarkOptions): Promise<LatencyStats> {
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`runs must be a positive integer, got ${options.runs}`);
  const now = options.now ?? (() => performance.now());
  for (let i = 0; i < options.warmup; i++) {
    options.signal?.throwIfAborted();
    await fn();
  }
  const times: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    options.signal?.throwIfAborted();
    const start = now();
    await fn();
    times.push(now() - start);
  }
  return summarise(times, options.warmup);
}
