import type { EngineBenchResult } from './contract/engine.ts';

/** The side-by-side table for humans. */
export function formatBenchTable(r: EngineBenchResult): string {
  const f = (v: number | null | undefined, digits = 1): string => (v == null ? '-' : v.toFixed(digits));
  const header = ['model', 'side', 'runtime', 'train img/s', 'infer img/s', 'peak MiB'];
  const lines: string[][] = [];
  for (const row of r.rows) {
    for (const s of [row.workbench, row.pytorch]) {
      if (s) lines.push([row.model, s.side, s.runtime, f(s.trainImagesPerSec), f(s.inferImagesPerSec), f(s.peakMemoryMiB, 0)]);
    }
    if (row.pytorch) lines.push([row.model, 'ratio', 'workbench / pytorch', f(row.trainRatio, 2), f(row.inferRatio, 2), '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [
    `Engine benchmark, batch ${r.batchSize}, 32x32x3, SGD momentum; ${r.machine.cpu} (${r.machine.cores} cores); ${r.date}`,
    `Engine: ${r.engine.backend} on ${r.engine.device}, ${r.engine.threads} threads, SIMD ${r.engine.simd ? 'yes' : 'no'}`,
    ...r.engine.fallbacks.map((l) => `  ${l}`),
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
  ];
  if (r.pytorchNote) out.push(`PyTorch: ${r.pytorchNote}`);
  return out.join('\n');
}
