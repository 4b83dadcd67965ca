import type { EngineInfo, JobProgress, JobStatus, JobSummary, JobDetail } from '../../common/contract/index.ts';
import type { Workspace } from '../workspace.ts';
import { jobSpecs } from '../../jobs/registry.ts';

export interface JobRow {
  id: number;
  kind: string;
  title: string;
  status: JobStatus;
  params: string;
  result: string | null;
  error: string | null;
  progress: string | null;
  engine: string | null;
  backend: string | null;
  parent_job_id: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The first job that continues this one (jobs.resume), from JOB_COLUMNS; null when none. */
  continued_by?: number | null;
}

/** Every column plus `continued_by`: a job already resumed is not offered for resuming again. */
export const JOB_COLUMNS = '*, (SELECT MIN(c.id) FROM jobs c WHERE c.parent_job_id = jobs.id) AS continued_by';

function parse<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

export function toSummary(row: JobRow): JobSummary {
  const spec = jobSpecs.get(row.kind);
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
    parentJobId: row.parent_job_id,
  };
}

export function getJobRow(ws: Workspace, id: number): JobRow | undefined {
  return ws.db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
}

export function toDetail(ws: Workspace, row: JobRow): JobDetail {
  const logs = ws.db
    .prepare('SELECT ts, level, line FROM job_logs WHERE job_id = ? ORDER BY id DESC LIMIT 500')
    .all(row.id) as JobDetail['logs'];
  return { ...toSummary(row), params: parse(row.params), result: parse(row.result), logs: logs.reverse() };
}
