import type { ComparedModel } from '../../../src-main/common/contract/index.ts';
import { largeBatchLatency } from './latency-cells.ts';

/** The comparison table as CSV (what papers and spreadsheets want). */
export function comparisonCsv(models: ComparedModel[]): string {
  const header = ['id', 'name', 'arch', 'method', 'rate', 'accuracy', 'flops', 'flops_reduction', 'paper_flops', 'paper_flops_reduction', 'params', 'zero_filters', 'latency_ms_batch1', 'latency_batch', 'latency_ms_batch', 'compact_speedup', 'size_bytes'];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = models.map((m) =>
    [m.id, m.name, m.arch, m.method, m.rate, m.accuracy, m.flops, m.flopsReduction, m.paperFlops, m.paperFlopsReduction, m.params, m.zeroFilters, m.latency?.tfjs['1']?.meanMs ?? null, largeBatchLatency(m.latency)?.batch ?? null, largeBatchLatency(m.latency)?.meanMs ?? null, m.compactSpeedup?.speedup ?? null, m.sizeBytes].map(cell).join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}
