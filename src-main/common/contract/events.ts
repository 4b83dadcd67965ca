import type { JobProgress, JobSummary, MetricPoint } from './jobs.ts';

/** Everything the backend pushes to clients, by event name. */
export interface EventMap {
  /** A job changed state (queued, started, finished, cancelled...). */
  'job.updated': JobSummary;
  'job.progress': { id: number; progress: JobProgress };
  'job.log': { id: number; ts: string; level: 'info' | 'warn' | 'error'; line: string };
  'job.metrics': { id: number; points: MetricPoint[] };
  /** A table other views may show changed: refetch lists of this kind. */
  'data.changed': { what: 'datasets' | 'models' | 'pipelines' | 'jobs' | 'settings' | 'artifacts' | 'reproductions' };
}

export type EventName = keyof EventMap;
export const eventNames: readonly EventName[] = ['job.updated', 'job.progress', 'job.log', 'job.metrics', 'data.changed'];
