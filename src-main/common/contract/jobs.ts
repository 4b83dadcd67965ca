import { z } from 'zod';
import { call } from './define.ts';
import { backendRequestSchema } from './engine.ts';
import { runOnSchema, type RunOn, type SlurmJobInfo } from './slurm.ts';

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
  /** Jobs of this kind continue from their checkpoints after a stop (`jobs.resume`); whether a cancel loses the work done. */
  kindResumable: boolean;
  parentJobId: number | null;
  /** Where it runs: this machine or a Slurm profile. */
  runOn: RunOn;
  /** Its Slurm job (id, pending reason, node, elapsed/limit) when it runs on Slurm. */
  slurm: SlurmJobInfo | null;
  /** The sweep it is a member of (one config, one field over a list of values). */
  sweepId: string | null;
}

export interface JobDetail extends JobSummary {
  params: unknown;
  result: unknown;
  logs: { ts: string; level: 'info' | 'warn' | 'error'; line: string }[];
}

/** A file a job or model left, for Download and Show in folder. */
export interface FileEntry {
  /** Artifact kind (checkpoint, export-onnx, export-tfjs, weights...) or 'model' for a model's own folder. */
  kind: string;
  /** Absolute path. */
  path: string;
  sizeBytes: number;
}

export interface MetricPoint {
  step: number;
  epoch: number | null;
  name: string;
  value: number;
}

/** A run's tags and notes (the experiment log), kept on its first job: a run and its resumes share them. */
export interface JobAnnotation {
  /** The run's first job, which holds them. */
  id: number;
  tags: string[];
  notes: string;
}

/** One tag: a short word or phrase (no commas, so a list of them can be typed as "a, b"). */
export const tagSchema = z
  .string()
  .trim()
  .min(1, 'a tag may not be empty')
  .max(40, 'a tag has at most 40 characters')
  .refine((t) => !t.includes(','), 'a tag may not contain a comma');

export const annotateRequestSchema = z
  .object({
    id: z.number().int().positive(),
    /** Replaces the run's tags (duplicates are dropped); left out: they stay. */
    tags: z.array(tagSchema).max(32, 'at most 32 tags').optional(),
    /** Replaces the run's notes; left out: they stay. */
    notes: z.string().max(20_000, 'notes have at most 20000 characters').optional(),
  })
  .strict();

const jobId = z.object({ id: z.number().int().positive() }).strict();

/**
 * Where and on what a job runs: the compute backend and this machine or a Slurm
 * profile. Every call that queues a job takes these (spread into its schema),
 * so no job kind has its own.
 */
export const jobPlacement = {
  backend: backendRequestSchema.optional(),
  runOn: runOnSchema.optional(),
};

export const jobsCalls = {
  'jobs.list': call<JobSummary[]>()(
    z
      .object({ kind: z.string().optional(), status: z.enum(jobStatuses).optional(), sweepId: z.string().optional(), limit: z.number().int().min(1).max(1000).optional() })
      .strict(),
    'Jobs, newest first.',
  ),
  'jobs.get': call<JobDetail>()(jobId, 'One job with its params, result and log.'),
  'jobs.cancel': call<JobSummary>()(jobId, 'Cancel a queued or running job.'),
  'jobs.resume': call<JobSummary>()(
    z.object({ id: z.number().int().positive(), runOn: runOnSchema.optional() }).strict(),
    'Start a new job that continues an interrupted or cancelled one from its last checkpoint (where it ran, unless runOn says otherwise).',
  ),
  'jobs.files': call<FileEntry[]>()(jobId, 'The files a job left (checkpoints, exports, reports, its models), with absolute paths, for download.'),
  'jobs.metrics': call<MetricPoint[]>()(
    z.object({ id: z.number().int().positive(), names: z.array(z.string()).optional() }).strict(),
    'Metrics a job recorded (loss, accuracy, ...).',
  ),
  'jobs.annotate': call<JobAnnotation>()(
    annotateRequestSchema,
    "Set a run's tags and/or notes (stored on its first job, shared with its resumes); with neither, returns them.",
  ),
  'jobs.submit': call<JobSummary>()(
    z.object({ kind: z.string().min(1), params: z.unknown(), ...jobPlacement }).strict(),
    'Queue a job of a registered kind; its params are validated before it is queued.',
  ),
  'jobs.sweep': call<{ sweepId: string; jobs: JobSummary[] }>()(
    z
      .object({
        kind: z.string().min(1),
        params: z.unknown(),
        /** The field that varies, as a dotted path into params ("prune.rate"), and its values. */
        sweep: z.object({ field: z.string().min(1), values: z.array(z.unknown()).min(1).max(1000) }).strict(),
        ...jobPlacement,
      })
      .strict(),
    'Queue one job per value of a field, grouped as one sweep: locally one after another, on Slurm as one job array.',
  ),
};
