import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import type { ReproductionEntry, ReproductionReport, ReproductionSummary } from '../../src-main/common/contract/reproduce.ts';
import type { JobSummary } from '../../src-main/common/contract/jobs.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { importTinyIdx } from '../train/fixtures.ts';

/** Reproductions through the real CLI: real job processes train the runs, the report reads their results. */
describe('workbench reproduce', () => {
  let wsDir: string;
  let cleanup: () => void;
  let tenClasses: number;
  let fourClasses: number;
  const cli = (args: string[], timeoutMs = 60_000) => runWorkbench(['--workspace', wsDir, ...args], { timeoutMs });

  beforeAll(async () => {
    const t = tempDir('wb-reproduce-');
    cleanup = t.cleanup;
    wsDir = path.join(t.dir, 'ws');
    const ws = Workspace.open(wsDir);
    tenClasses = await importTinyIdx(ws, path.join(t.dir, 'ten'), { classes: 10, train: 60, test: 20 });
    fourClasses = await importTinyIdx(ws, path.join(t.dir, 'four'), { classes: 4, train: 16, test: 8 });
    ws.close();
  });
  afterAll(() => cleanup());

  it('lists the catalogue and shows an entry with its paper numbers', async () => {
    const list = await cli(['--json', 'reproduce', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const entries = JSON.parse(list.stdout) as ReproductionEntry[];
    expect(entries.map((e) => e.id)).toContain('sfp-table');
    const show = await cli(['reproduce', 'show', 'sfp-table']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('ResNet-20 SFP 30%: FLOPs cut, paper-style');
    expect(show.stdout).toContain('42.2');
  });

  it('refuses what it cannot run before queueing anything, naming the option', async () => {
    const unknown = await cli(['reproduce', 'start', 'nope', '--dataset', String(tenClasses)]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No reproduction "nope"');
    const classes = await cli(['reproduce', 'start', 'sfp-table', '--dataset', String(fourClasses)]);
    expect(classes.code).not.toBe(0);
    expect(classes.stderr).toMatch(/datasetId.*4 classes, not 10|4 classes, not 10/);
    const runs = await cli(['reproduce', 'start', 'sfp-table', '--dataset', String(tenClasses), '--runs', 'resnet20-sfp30,bogus']);
    expect(runs.code).not.toBe(0);
    expect(runs.stderr).toContain('bogus');
    const split = await cli(['reproduce', 'start', 'sfp-table', '--dataset', String(tenClasses), '--split', 'no-such-split']);
    expect(split.code).not.toBe(0);
    expect(split.stderr).toContain('no-such-split');
    const jobs = await cli(['--json', 'jobs', 'list']);
    expect((JSON.parse(jobs.stdout) as JobSummary[]).filter((j) => j.kind === 'train.run')).toEqual([]);
  });

  it('runs a reproduction as one sweep of train jobs and reports ours beside the paper', async () => {
    const start = await cli(['--json', 'reproduce', 'start', 'random-erasing-fashion-mnist', '--dataset', String(tenClasses), '--seeds', '3', '--runs', 'resnet20-base,resnet20-re'], 240_000);
    expect(start.code, start.stderr).toBe(0);
    const report = JSON.parse(start.stdout) as ReproductionReport;
    expect(report.reproduction).toMatchObject({ entry: 'random-erasing-fashion-mnist', scale: 'quick', seeds: [3], jobs: { succeeded: 2 } });
    expect(report.runs.map((r) => [r.key, r.seed, r.status])).toEqual([
      ['resnet20-base', 3, 'succeeded'],
      ['resnet20-re', 3, 'succeeded'],
    ]);
    // The jobs are ordinary train jobs of one sweep, with the configs of the quick scale.
    const members = JSON.parse((await cli(['--json', 'jobs', 'list', '--sweep', report.reproduction.sweepId])).stdout) as JobSummary[];
    expect(members.map((j) => j.id).sort()).toEqual(report.runs.map((r) => r.jobId).sort());
    const re = JSON.parse((await cli(['--json', 'jobs', 'show', String(report.runs[1]!.jobId)])).stdout) as { params: { seed: number; augment: { spec: { steps: { transform: string }[] } } } };
    expect(re.params.seed).toBe(3);
    expect(re.params.augment.spec.steps.map((s) => s.transform)).toContain('randomErasing');
    // Ours is measured from the runs' own accuracies: error(base) - error(with erasing).
    const [base, erased] = report.runs;
    const gain = 100 - base!.accuracy! - (100 - erased!.accuracy!);
    const byKey = Object.fromEntries(report.rows.map((r) => [r.claim.key, r]));
    expect(byKey['resnet20-gain']).toMatchObject({ status: 'not-comparable', claim: { paper: 0.37 } });
    expect(byKey['resnet20-gain']!.ours!.mean).toBeCloseTo(gain, 6);
    expect(byKey['resnet20-helps']!.status).toBe(gain >= 0 ? 'reproduced' : 'differs');
    expect(byKey['resnet20-base-error']!.ours!.mean).toBeCloseTo(100 - base!.accuracy!, 6);

    const listed = JSON.parse((await cli(['--json', 'reproduce', 'runs'])).stdout) as ReproductionSummary[];
    expect(listed[0]).toMatchObject({ id: report.reproduction.id, jobs: { succeeded: 2 }, dataset: { id: tenClasses } });
    const human = await cli(['reproduce', 'report', String(report.reproduction.id)]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('| ResNet-20: error reduction from erasing (points) | 0.37 |');
    expect(human.stdout).toContain('not comparable (quick scale)');
  });
});
