import { describe, expect, it } from 'vitest';
import { toSummary, type JobRow } from '../../src-main/core/jobs/job-rows.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';

const row = (kind: string, status: JobRow['status']): JobRow =>
  ({
    id: 7, kind, title: 't', status, params: '{}', result: null, error: null, progress: null, engine: null, backend: null, parent_job_id: null,
    created_at: '2026-01-01T00:00:00.000Z', started_at: null, finished_at: null, continued_by: null, run_on: null, slurm: null, slurm_offsets: null, sweep_id: null, tags: '[]', notes: '',
  }) as JobRow;

describe('job summaries say whether the kind resumes', () => {
  it.each([...jobSpecs.values()].map((spec) => [spec.kind, spec.resumable] as const))('%s: kindResumable is %s while it runs (a cancel keeps or loses the work)', (kind, resumable) => {
    const running = toSummary(row(kind, 'running'), jobSpecs);
    expect(running.kindResumable).toBe(resumable);
    // `resumable` is about this job now: nothing to resume while it runs.
    expect(running.resumable).toBe(false);
    expect(toSummary(row(kind, 'cancelled'), jobSpecs).resumable).toBe(resumable);
  });

  it('an unknown kind (a newer app wrote it) is not resumable', () => {
    expect(toSummary(row('no.such.kind', 'running'), jobSpecs).kindResumable).toBe(false);
  });

  it('both values occur among the kinds (training resumes, an export does not)', () => {
    expect(toSummary(row('train.run', 'running'), jobSpecs).kindResumable).toBe(true);
    expect(toSummary(row('models.export', 'running'), jobSpecs).kindResumable).toBe(false);
  });
});
