import type { ReidEvalSummary } from '../../../src-main/common/contract/index.ts';

/** Line-chart data for the CMC curves of several evaluations: rank 1..the longest curve on x, percent on y, one line per evaluation. */
export function cmcChartData(evals: readonly ReidEvalSummary[], label: (e: ReidEvalSummary) => string): { labels: string[]; datasets: { label: string; data: number[] }[] } {
  const ranks = Math.max(0, ...evals.map((e) => e.metrics.cmc.length));
  return {
    labels: Array.from({ length: ranks }, (_, i) => String(i + 1)),
    datasets: evals.map((e) => ({ label: label(e), data: e.metrics.cmc.map((v) => v * 100) })),
  };
}
