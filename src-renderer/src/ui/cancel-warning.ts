import type { JobSummary } from '../../../src-main/common/contract/index.ts';
import { formatDuration } from './format.ts';

/** A run that has been running longer than this asks before it is cancelled. */
export const confirmCancelAfterSeconds = 60;

/**
 * What cancelling a job would lose, when that is worth a question: a job running for more
 * than a minute. Null when a cancel can go ahead at once (queued, or only just started).
 */
export function cancelWarning(job: Pick<JobSummary, 'status' | 'startedAt' | 'title' | 'kindResumable'>, now = Date.now()): string | null {
  if (job.status !== 'running' || !job.startedAt) return null;
  const seconds = (now - Date.parse(job.startedAt)) / 1000;
  if (!(seconds > confirmCancelAfterSeconds)) return null;
  const ran = `${job.title} has been running for ${formatDuration(seconds)}.`;
  return job.kindResumable
    ? `${ran} Cancelling stops it; the work since its last checkpoint is lost, and it can be resumed from that checkpoint (Resume).`
    : `${ran} Cancelling stops it and loses that work: this kind of job cannot be resumed, it would start over.`;
}
