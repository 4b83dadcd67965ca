import type { jobsCalls } from '../../common/contract/jobs.ts';
import type { HandlerMap } from '../handler-types.ts';
import { annotateJob, jobMetrics } from '../jobs/job-store.ts';
import { readSettings } from '../settings.ts';
import { jobFiles } from '../job-files.ts';

export const jobsHandlers: HandlerMap<keyof typeof jobsCalls> = {
  'jobs.list': (req, ctx) => ctx.jobs.list(req),
  'jobs.get': (req, ctx) => ctx.jobs.detail(req.id),
  'jobs.cancel': (req, ctx) => ctx.jobs.cancel(req.id),
  'jobs.resume': async (req, ctx) => {
    await ctx.jobs.checkRunOn(req.runOn);
    return ctx.jobs.resume(req.id, req.runOn);
  },
  'jobs.files': (req, ctx) => {
    ctx.jobs.summary(req.id);
    return jobFiles(ctx.ws.db, ctx.ws.dir, req.id);
  },
  'jobs.metrics': (req, ctx) => {
    ctx.jobs.summary(req.id); // not_found naming `id` when there is no such job
    return jobMetrics(ctx.ws.db, req.id, { names: req.names });
  },
  'jobs.annotate': (req, ctx) => {
    ctx.jobs.summary(req.id); // not_found naming `id` when there is no such job
    const tags = req.tags ? [...new Set(req.tags)] : undefined;
    const stored = annotateJob(ctx.ws.db, req.id, { ...(tags ? { tags } : {}), ...(req.notes !== undefined ? { notes: req.notes } : {}) })!;
    if (tags || req.notes !== undefined) ctx.events.emit('data.changed', { what: 'jobs' });
    return stored;
  },
  'jobs.submit': async (req, ctx) => {
    await ctx.jobs.checkRunOn(req.runOn);
    return ctx.jobs.submit(req.kind, req.params, { backend: req.backend ?? readSettings(ctx.ws).backend, runOn: req.runOn });
  },
  'jobs.sweep': async (req, ctx) => {
    await ctx.jobs.checkRunOn(req.runOn);
    return ctx.jobs.sweep(req.kind, req.params, req.sweep, { backend: req.backend ?? readSettings(ctx.ws).backend, runOn: req.runOn });
  },
};
