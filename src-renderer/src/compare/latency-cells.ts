import type { LatencyRecord } from '../../../src-main/common/contract/index.ts';

export interface LatencyCell {
  batch: number;
  meanMs: number;
  imagesPerSecond: number;
}

/**
 * The TF.js timings of a latency record, smallest batch first. Batch 1 shows per-request
 * latency; the larger batch is where a pruned model's fewer MACs turn into speed (at batch 1
 * per-op overhead dominates both models).
 */
export function latencyCells(record: LatencyRecord | null): LatencyCell[] {
  if (!record) return [];
  return Object.entries(record.tfjs)
    .map(([batch, s]) => ({ batch: Number(batch), meanMs: s.meanMs, imagesPerSecond: s.imagesPerSecond }))
    .filter((c) => Number.isFinite(c.batch))
    .sort((a, b) => a.batch - b.batch);
}

/** The largest measured batch's time per batch, for the CSV (null when only batch 1 or nothing was measured). */
export function largeBatchLatency(record: LatencyRecord | null): LatencyCell | null {
  const cells = latencyCells(record);
  const last = cells.at(-1);
  return last && last.batch > 1 ? last : null;
}
