import type { jobsCalls } from '../../common/contract/jobs.ts';
import type { HandlerMap } from '../handler-types.ts';
import { getJobRow, toDetail } from '../jobs/job-rows.ts';
import { ApiError } from '../../common/contract/errors.ts';
import type { MetricPoint } from '../../common/contract/index.ts';
import { readSettings } from '../settings.ts';

export const jobsHandlers: HandlerMap<keyof typeof jobsCalls> = {
  'jobs.list': (req, ctx) => ctx.jobs.list(req),
  'jobs.get': (req, ctx) => {
    const row = getJobRow(ctx.ws, req.id);
    if (!row) throw new ApiError('not_found', `There is no job ${req.id}.`, 'id');
    return toDetail(ctx.ws, row);
  },
  'jobs.cancel': (req, ctx) => ctx.jobs.cancel(req.id),
  'jobs.resume': (req, ctx) => ctx.jobs.resume(req.id),
  'jobs.metrics': (req, ctx) => {
    if (!getJobRow(ctx.ws, req.id)) throw new ApiError('not_found', `There is no job ${req.id}.`, 'id');
    const names = req.names ?? [];
    const filter = names.length ? `AND name IN (${names.map(() => '?').join(',')})` : '';
    return ctx.ws.db
      .prepare(`SELECT step, epoch, name, value FROM metrics WHERE job_id = ? ${filter} ORDER BY step, rowid`)
      .all(req.id, ...names) as MetricPoint[];
  },
  'jobs.submit': (req, ctx) => ctx.jobs.submit(req.kind, req.params, { backend: req.backend ?? readSettings(ctx.ws).backend }),
};
