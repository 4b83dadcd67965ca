import { z } from 'zod';
import { call } from './define.ts';
import { backendRequestSchema } from './engine.ts';

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export interface JobProgress {
  /** 0..1, or null while unknown. */
  fraction: number | null;
  step: string;
  /** Items per second of the current phase, e.g. images/s. */
  throughput: { value: number; unit: string } | null;
  etaSeconds: number | null;
}

export interface JobSummary {
  id: number;
  kind: string;
  title: string;
  status: JobStatus;
  progress: JobProgress | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The engine the job ran on (backend, device, threads...), once it started. */
  engine: Record<string, unknown> | null;
  resumable: boolean;
  parentJobId: number | null;
}

export interface JobDetail extends JobSummary {
  params: unknown;
  result: unknown;
  logs: { ts: string; level: 'info' | 'warn' | 'error'; line: string }[];
}

export interface MetricPoint {
  step: number;
  epoch: number | null;
  name: string;
  value: number;
}

const jobId = z.object({ id: z.number().int().positive() }).strict();

export const jobsCalls = {
  'jobs.list': call<JobSummary[]>()(
    z
      .object({ kind: z.string().optional(), status: z.enum(jobStatuses).optional(), limit: z.number().int().min(1).max(1000).optional() })
      .strict(),
    'Jobs, newest first.',
  ),
  'jobs.get': call<JobDetail>()(jobId, 'One job with its params, result and log.'),
  'jobs.cancel': call<JobSummary>()(jobId, 'Cancel a queued or running job.'),
  'jobs.resume': call<JobSummary>()(jobId, 'Start a new job that continues an interrupted or cancelled one from its last checkpoint.'),
  'jobs.metrics': call<MetricPoint[]>()(
    z.object({ id: z.number().int().positive(), names: z.array(z.string()).optional() }).strict(),
    'Metrics a job recorded (loss, accuracy, ...).',
  ),
  'jobs.submit': call<JobSummary>()(
    z.object({ kind: z.string().min(1), params: z.unknown(), backend: backendRequestSchema.optional() }).strict(),
    'Queue a job of a registered kind; its params are validated before it is queued.',
  ),
};
