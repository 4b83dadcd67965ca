import { jobKinds, type JobSummary } from '../../../src-main/common/contract/index.ts';

/** Where a job is best looked at: its area's page when it has one, else the Runs detail. */
export function jobLink(job: Pick<JobSummary, 'id' | 'kind'>): string {
  if (job.kind === jobKinds.trainRun) return `/training/${job.id}`;
  return `/runs/${job.id}`;
}
