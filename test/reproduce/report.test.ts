import { describe, expect, it } from 'vitest';
import { claimRow, reportMarkdown, reportRows } from '../../src-main/reproduce/report.ts';
import type { CatalogueClaim } from '../../src-main/reproduce/entry.ts';
import type { ReproductionRunRow } from '../../src-main/common/contract/reproduce.ts';
import { catalogueEntry } from '../../src-main/reproduce/catalogue.ts';

function run(key: string, seed: number, accuracy: number | null, o: Partial<ReproductionRunRow> = {}): ReproductionRunRow {
  return { key, label: key, seed, jobId: seed * 100 + key.length, status: 'succeeded', accuracy, accuracyBnRecalibrated: null, flopsCut: null, modelId: null, ...o };
}

const drop: CatalogueClaim = {
  key: 'drop',
  label: 'pruned minus base',
  kind: 'value',
  paper: -1.37,
  tolerance: 0.5,
  judgedAtQuick: false,
  source: 'paper',
  measure: { run: 'pruned', metric: 'accuracy', minus: 'base' },
};
const keys = ['base', 'pruned'];

describe('a claim judged from its runs', () => {
  it('pairs runs by seed and reports mean, min and max of the differences', () => {
    // Seed 1: 90.5 - 92.0 = -1.5; seed 2: 91.0 - 92.0 = -1.0 -> mean -1.25, within 0.5 of -1.37.
    const runs = [run('base', 1, 92.0), run('pruned', 1, 90.5), run('base', 2, 92.0), run('pruned', 2, 91.0)];
    const row = claimRow(drop, runs, 'paper', keys);
    expect(row.status).toBe('reproduced');
    expect(row.ours).toEqual({ n: 2, mean: -1.25, min: -1.5, max: -1.0 });
    expect(row.difference).toBeCloseTo(0.12, 10);
  });

  it('differs outside the tolerance', () => {
    const row = claimRow(drop, [run('base', 1, 92.0), run('pruned', 1, 89.0)], 'paper', keys);
    expect(row.status).toBe('differs');
    expect(row.difference).toBeCloseTo(-1.63, 10);
  });

  it('is not comparable at the quick scale unless the claim is scale-free', () => {
    const runs = [run('base', 1, 92.0), run('pruned', 1, 90.5)];
    expect(claimRow(drop, runs, 'quick', keys)).toMatchObject({ status: 'not-comparable', ours: { mean: -1.5 } });
    expect(claimRow({ ...drop, judgedAtQuick: true }, runs, 'quick', keys).status).toBe('reproduced');
  });

  it('judges a direction by its sign, error as 100 - accuracy', () => {
    const helps: CatalogueClaim = { ...drop, kind: 'direction', paper: null, judgedAtQuick: true, measure: { run: 'base', metric: 'error', minus: 'pruned' } };
    // error(base) - error(pruned) = 8 - 9.5 = -1.5: the "improvement" goes the wrong way.
    const row = claimRow(helps, [run('base', 1, 92.0), run('pruned', 1, 90.5)], 'quick', keys);
    expect(row).toMatchObject({ status: 'differs', difference: null, ours: { mean: -1.5 } });
    expect(claimRow(helps, [run('base', 1, 90.0), run('pruned', 1, 90.5)], 'quick', keys).status).toBe('reproduced');
  });

  it('measures a finding without judging it, and reads the FLOPs cut', () => {
    const finding: CatalogueClaim = { ...drop, kind: 'finding', paper: null };
    expect(claimRow(finding, [run('base', 1, 92.0), run('pruned', 1, 90.5)], 'paper', keys).status).toBe('measured');
    const flops: CatalogueClaim = { ...drop, paper: 42.2, tolerance: 0.1, judgedAtQuick: true, measure: { run: 'pruned', metric: 'flopsCut' } };
    expect(claimRow(flops, [run('pruned', 1, 90, { flopsCut: 42.25 })], 'quick', keys)).toMatchObject({ status: 'reproduced', ours: { mean: 42.25 } });
  });

  it('says what is missing: runs not at this scale, still running, failed', () => {
    expect(claimRow(drop, [run('base', 1, 92)], 'quick', ['base']).status).toBe('not-run');
    const running = claimRow(drop, [run('base', 1, 92), run('pruned', 1, null, { status: 'running' })], 'paper', keys);
    expect(running).toMatchObject({ status: 'pending', ours: null, note: '1 of 2 runs still to finish.' });
    const failed = claimRow(drop, [run('base', 1, 92), run('pruned', 1, null, { status: 'interrupted', jobId: 77 })], 'paper', keys);
    expect(failed.status).toBe('failed');
    expect(failed.note).toContain('job 77');
    expect(failed.note).toContain('resume');
  });
});

describe('a whole report', () => {
  it('covers every claim of the entry and prints them as Markdown', () => {
    const entry = catalogueEntry('psfp-vs-sfp')!;
    const runs = [run('sfp', 1, 85.0), run('psfp', 1, 86.5)];
    const rows = reportRows(entry, 'quick', runs);
    expect(rows.map((r) => [r.claim.key, r.status])).toEqual([
      ['psfp-gain', 'not-comparable'],
      ['psfp-better', 'reproduced'],
    ]);
    const md = reportMarkdown(entry, 'quick', rows, runs);
    expect(md).toContain('| PSFP minus SFP, top-1 accuracy (points) | 1.08 | 1.50 | +0.42 | not comparable (quick scale) |');
    expect(md).toContain('| PSFP at least as accurate as SFP | > 0 | 1.50 | - | reproduced |');
  });
});
