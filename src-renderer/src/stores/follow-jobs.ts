import type { EventMap, JobKind, JobSummary } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

/** Statuses after which a job changes nothing more. */
export const endedStatuses: readonly JobSummary['status'][] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export function hasEnded(job: Pick<JobSummary, 'status'>): boolean {
  return endedStatuses.includes(job.status);
}

/**
 * Keeps a list true to the workspace: `reload` runs when a job of one of
 * `kinds` ends (its results are stored by then), and when `data.changed` names
 * one of `data`. Several events arriving together cause one reload. Returns the
 * unsubscribe. Stores call it once (the first time their list loads).
 */
export function followJobs(kinds: readonly JobKind[], reload: () => unknown, data: readonly EventMap['data.changed']['what'][] = []): () => void {
  const api = useApi();
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      void Promise.resolve(reload()).catch(() => undefined);
    });
  };
  const offs = [
    api.on('job.updated', (job) => {
      if ((kinds as readonly string[]).includes(job.kind) && hasEnded(job)) schedule();
    }),
    api.on('data.changed', ({ what }) => {
      if (data.includes(what)) schedule();
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** Subscribes the first time it is called and never again (per store instance). */
export function once(subscribe: () => unknown): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    subscribe();
  };
}
