import type { EngineBenchResult, EngineBenchSide, Spread } from './contract/engine.ts';

/** The side-by-side table for humans: medians with their spread (min-max over the repeats) and ratios of medians. */
export function formatBenchTable(r: EngineBenchResult): string {
  const f = (v: number | null | undefined, digits = 1): string => (v == null ? '-' : v.toFixed(digits));
  const withSpread = (v: number | null, s: Spread | null | undefined, digits = 1): string =>
    v == null ? '-' : s && r.repeats > 1 ? `${f(v, digits)} (${f(s[0], digits)}-${f(s[1], digits)})` : f(v, digits);
  const header = ['model (input, batch)', 'side', 'runtime', 'train img/s', 'infer img/s (same batch)', 'infer img/s (batch 1)', 'peak MiB'];
  const sideCells = (s: EngineBenchSide): string[] => [
    s.side,
    s.runtime,
    withSpread(s.trainImagesPerSec, s.spread.train),
    withSpread(s.inferImagesPerSec, s.spread.infer),
    withSpread(s.inferBatch1ImagesPerSec, s.spread.inferBatch1),
    withSpread(s.peakMemoryMiB, s.spread.memory, 0),
  ];
  const lines: string[][] = [];
  for (const row of r.rows) {
    const name = `${row.model} (${row.input.join('x')}, ${row.batch})`;
    for (const s of [row.workbench, row.pytorch]) if (s) lines.push([name, ...sideCells(s)]);
    if (row.pytorch) lines.push([name, 'ratio', 'workbench / pytorch', f(row.trainRatio, 2), f(row.inferRatio, 2), f(row.inferRatioBatch1, 2), f(row.memoryRatio, 2)]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [
    `Engine benchmark, ${r.repeats} interleaved repeat${r.repeats === 1 ? '' : 's'} per side (median, min-max); ${r.machine.cpu} (${r.machine.cores} cores); ${r.date}`,
    `Engine: ${r.engine.backend} on ${r.engine.device}, ${r.engine.threads} threads, SIMD ${r.engine.simd ? 'yes' : 'no'}`,
    ...r.engine.fallbacks.map((l) => `  ${l}`),
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
    `Ratios are of medians (images/s: above 1 the workbench is faster; memory: below 1 it needs less). Memory: ${r.memoryNote}.`,
  ];
  for (const row of r.rows) out.push(`  ${row.model}: ${row.description}`);
  if (r.pytorchNote) out.push(`PyTorch: ${r.pytorchNote}`);
  for (const f of r.failures ?? []) out.push(`Failed: ${f.message}`);
  return out.join('\n');
}
