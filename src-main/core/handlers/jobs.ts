import type { jobsCalls } from '../../common/contract/jobs.ts';
import type { HandlerMap } from '../handler-types.ts';
import { jobMetrics } from '../jobs/job-store.ts';
import { readSettings } from '../settings.ts';

export const jobsHandlers: HandlerMap<keyof typeof jobsCalls> = {
  'jobs.list': (req, ctx) => ctx.jobs.list(req),
  'jobs.get': (req, ctx) => ctx.jobs.detail(req.id),
  'jobs.cancel': (req, ctx) => ctx.jobs.cancel(req.id),
  'jobs.resume': (req, ctx) => ctx.jobs.resume(req.id),
  'jobs.metrics': (req, ctx) => {
    ctx.jobs.summary(req.id); // not_found naming `id` when there is no such job
    return jobMetrics(ctx.ws.db, req.id, { names: req.names });
  },
  'jobs.submit': (req, ctx) => ctx.jobs.submit(req.kind, req.params, { backend: req.backend ?? readSettings(ctx.ws).backend }),
};
