/** Job rows as the contract shows them (summary, detail); the SQL lives in job-store.ts. */
import type Database from 'better-sqlite3';
import type { EngineInfo, JobProgress, JobSummary, JobDetail, RunOn, SlurmJobInfo } from '../../common/contract/index.ts';
import { jobLogs, type JobRow } from './job-store.ts';
import type { JobSpecLookup } from './spec.ts';

export type { JobRow } from './job-store.ts';

function parse<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

export function toSummary(row: JobRow, specs: JobSpecLookup): JobSummary {
  const spec = specs.get(row.kind);
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    status: row.status,
    progress: parse<JobProgress>(row.progress),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    engine: parse<EngineInfo>(row.engine) as Record<string, unknown> | null,
    resumable: Boolean(spec?.resumable) && (row.status === 'interrupted' || row.status === 'cancelled' || row.status === 'failed') && row.continued_by == null,
    kindResumable: Boolean(spec?.resumable),
    parentJobId: row.parent_job_id,
    runOn: parse<RunOn>(row.run_on) ?? 'local',
    slurm: parse<SlurmJobInfo>(row.slurm),
    sweepId: row.sweep_id,
  };
}

export function toDetail(db: Database.Database, row: JobRow, specs: JobSpecLookup): JobDetail {
  return { ...toSummary(row, specs), params: parse(row.params), result: parse(row.result), logs: jobLogs(db, row.id) };
}
