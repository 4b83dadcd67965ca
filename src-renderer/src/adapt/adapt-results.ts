/**
 * The results table of the Domain adaptation page, method x task (task: a
 * source -> target dataset pair), from the finished runs; and the DAAA
 * paper's reported Office-31 numbers (methods.md section 8), shown as the
 * paper's, for context only.
 */
import type { AdaptMethod, AdaptRunSummary } from '../../../src-main/common/contract/index.ts';

export interface AdaptResultRow {
  task: string;
  sourceDatasetId: number;
  targetDatasetId: number;
  /** The backbone: runs of another one are another row, and their floor is their own backbone's source-only. */
  arch: string;
  method: AdaptMethod;
  /** Finished runs averaged. */
  runs: number;
  targetAccuracy: number | null;
  sourceAccuracy: number | null;
  /** Mean target accuracy of the finished source-only runs on the same task and backbone (the floor). */
  sourceOnlyTarget: number | null;
  chance: number | null;
}

const methodOrder: AdaptMethod[] = ['source-only', 'dann', 'daaa'];

function mean(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** The task and backbone of a run: what a fair comparison with source-only keeps equal. */
const taskKey = (r: AdaptRunSummary): string => `${r.sourceDatasetId}>${r.targetDatasetId}>${r.arch}`;

/** One row per task, backbone and method over the finished runs (means when a method ran more than once, e.g. several seeds), tasks in the order first seen. */
export function resultRows(runs: AdaptRunSummary[], nameOf: (id: number) => string): AdaptResultRow[] {
  const done = runs.filter((r) => r.status === 'succeeded');
  const tasks = [...new Map(done.map((r) => [taskKey(r), r])).values()];
  const rows: AdaptResultRow[] = [];
  for (const t of tasks) {
    const same = done.filter((r) => taskKey(r) === taskKey(t));
    const floor = mean(same.filter((r) => r.method === 'source-only').map((r) => r.targetAccuracy));
    for (const method of methodOrder) {
      const of = same.filter((r) => r.method === method);
      if (!of.length) continue;
      rows.push({
        task: `${nameOf(t.sourceDatasetId)} → ${nameOf(t.targetDatasetId)}`,
        sourceDatasetId: t.sourceDatasetId,
        targetDatasetId: t.targetDatasetId,
        arch: t.arch,
        method,
        runs: of.length,
        targetAccuracy: mean(of.map((r) => r.targetAccuracy)),
        sourceAccuracy: mean(of.map((r) => r.sourceAccuracy)),
        sourceOnlyTarget: floor,
        chance: of[0]!.chance,
      });
    }
  }
  return rows;
}

/** The finished source-only runs on a run's source, target and backbone: the floor it is measured against. */
export function sourceOnlyRuns(runs: AdaptRunSummary[], run: AdaptRunSummary): AdaptRunSummary[] {
  return runs.filter((r) => r.method === 'source-only' && r.status === 'succeeded' && taskKey(r) === taskKey(run));
}

/** The newest finished source-only run on a run's source, target and backbone (the "before" of the embedding plot), or null. */
export function sourceOnlyOf(runs: AdaptRunSummary[], jobId: number): number | null {
  const run = runs.find((r) => r.jobId === jobId);
  if (!run) return null;
  const same = sourceOnlyRuns(runs, run);
  return same.length ? Math.max(...same.map((r) => r.jobId)) : null;
}

/** DAAA's Office-31 target accuracy (%) as the paper reports it (ECCV 2018, arXiv 1801.10068; methods.md section 8, unverified). Not measured here. */
export const paperOffice31: { task: string; accuracy: number }[] = [
  { task: 'A → W', accuracy: 86.8 },
  { task: 'D → W', accuracy: 99.3 },
  { task: 'W → D', accuracy: 100 },
  { task: 'A → D', accuracy: 88.8 },
  { task: 'D → A', accuracy: 74.3 },
  { task: 'W → A', accuracy: 73.9 },
  { task: 'Average', accuracy: 87.2 },
];
