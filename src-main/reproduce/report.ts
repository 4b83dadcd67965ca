/**
 * A reproduction's report: each claim measured from the runs' results over the
 * seeds and judged against the paper's number. A pure function of the runs, so
 * tests pin every status with hand-made results.
 */
import type { ClaimStatus, ReproduceScale, ReproductionReportRow, ReproductionRunRow, SeedStats } from '../common/contract/reproduce.ts';
import type { CatalogueClaim, CatalogueEntry, RunMetric } from './entry.ts';
import { formatMeanSpread, summarize } from './stats.ts';

function metricOf(run: ReproductionRunRow, metric: RunMetric): number | null {
  if (metric === 'flopsCut') return run.flopsCut;
  if (run.accuracy === null) return null;
  return metric === 'accuracy' ? run.accuracy : 100 - run.accuracy;
}

function judge(claim: CatalogueClaim, ours: SeedStats, scale: ReproduceScale): { status: ClaimStatus; note: string } {
  if (claim.kind === 'finding') return { status: 'measured', note: 'The workbench\'s own question: measured, not judged.' };
  if (scale === 'quick' && !claim.judgedAtQuick) {
    return { status: 'not-comparable', note: 'Quick scale: a short schedule on few images is not the paper\'s protocol; run the paper scale to judge this number.' };
  }
  if (claim.kind === 'direction') {
    const ok = ours.mean >= 0;
    const spread = ours.n > 1 && Math.sign(ours.min) !== Math.sign(ours.max) ? ' (the seeds disagree in sign)' : '';
    return { status: ok ? 'reproduced' : 'differs', note: `${ok ? 'Same direction as the paper' : 'Opposite direction to the paper'}${spread}.` };
  }
  const diff = ours.mean - (claim.paper ?? 0);
  const ok = Math.abs(diff) <= claim.tolerance;
  return { status: ok ? 'reproduced' : 'differs', note: `${ok ? 'Within' : 'Outside'} the tolerance of ${claim.tolerance} of the paper's ${claim.paper}.` };
}

export function claimRow(claim: CatalogueClaim, runs: ReproductionRunRow[], scale: ReproduceScale, scaleRunKeys: readonly string[]): ReproductionReportRow {
  const keys = [claim.measure.run, ...(claim.measure.minus ? [claim.measure.minus] : [])];
  const base = { claim: stripMeasure(claim), ours: null, difference: null };
  if (keys.some((k) => !scaleRunKeys.includes(k) || !runs.some((r) => r.key === k))) {
    return { ...base, status: 'not-run', note: scale === 'quick' ? 'Not in this reproduction (the paper scale runs it).' : 'Not in this reproduction.' };
  }
  const involved = runs.filter((r) => keys.includes(r.key));
  if (involved.some((r) => r.status === 'failed' || r.status === 'cancelled' || r.status === 'interrupted')) {
    const bad = involved.find((r) => r.status === 'failed' || r.status === 'cancelled' || r.status === 'interrupted')!;
    return { ...base, status: 'failed', note: `Run ${bad.label} (seed ${bad.seed}, job ${bad.jobId}) ${bad.status}${bad.status === 'failed' ? '' : '; resume it to finish'}.` };
  }
  if (involved.some((r) => r.status !== 'succeeded')) {
    const left = involved.filter((r) => r.status !== 'succeeded').length;
    return { ...base, status: 'pending', note: `${left} of ${involved.length} runs still to finish.` };
  }
  // One value per seed present in every run the claim needs.
  const seeds = [...new Set(involved.map((r) => r.seed))].sort((a, b) => a - b);
  const values: number[] = [];
  for (const seed of seeds) {
    const a = involved.find((r) => r.key === claim.measure.run && r.seed === seed);
    const b = claim.measure.minus ? involved.find((r) => r.key === claim.measure.minus && r.seed === seed) : undefined;
    const va = a ? metricOf(a, claim.measure.metric) : null;
    const vb = b ? metricOf(b, claim.measure.metric) : null;
    if (va === null || (claim.measure.minus && vb === null)) continue;
    values.push(claim.measure.minus ? va - vb! : va);
  }
  if (values.length === 0) return { ...base, status: 'failed', note: `The runs recorded no ${claim.measure.metric === 'flopsCut' ? 'FLOPs cut' : 'test accuracy'}.` };
  const ours = summarize(values);
  const { status, note } = judge(claim, ours, scale);
  return { claim: stripMeasure(claim), ours, difference: claim.paper === null ? null : ours.mean - claim.paper, status, note };
}

function stripMeasure(claim: CatalogueClaim): ReproductionReportRow['claim'] {
  const { measure: _measure, ...rest } = claim;
  return rest;
}

export function reportRows(entry: CatalogueEntry, scale: ReproduceScale, runs: ReproductionRunRow[]): ReproductionReportRow[] {
  const keys = entry.scales[scale].runs.map((r) => r.key);
  return entry.claims.map((c) => claimRow(c, runs, scale, keys));
}

const statusText: Record<ClaimStatus, string> = {
  reproduced: 'reproduced',
  differs: 'differs',
  measured: 'measured',
  'not-comparable': 'not comparable (quick scale)',
  'not-run': 'pending (not run at this scale)',
  pending: 'running',
  failed: 'failed',
};

const num = (v: number | null, digits = 2): string => (v === null ? '-' : v.toFixed(digits));

export function reportMarkdown(entry: CatalogueEntry, scale: ReproduceScale, rows: ReproductionReportRow[], runs: ReproductionRunRow[]): string {
  const claims = [
    '| claim | paper | ours (mean, min-max over seeds) | difference | status |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.claim.label} | ${r.claim.paper === null ? (r.claim.kind === 'direction' ? '> 0' : '-') : r.claim.paper} | ${r.ours ? formatMeanSpread(r.ours, 2) : '-'} | ${r.difference === null ? '-' : (r.difference >= 0 ? '+' : '') + r.difference.toFixed(2)} | ${statusText[r.status]} |`,
    ),
  ];
  const runTable = [
    '| run | seed | job | status | test acc % | acc, BN re-estimated % | FLOPs cut % |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) => `| ${r.label} | ${r.seed} | ${r.jobId} | ${r.status} | ${num(r.accuracy)} | ${num(r.accuracyBnRecalibrated)} | ${num(r.flopsCut, 1)} |`),
  ];
  return [`**${entry.title}** (${scale} scale): ${entry.scales[scale].description}`, '', ...claims, '', ...runTable].join('\n');
}
