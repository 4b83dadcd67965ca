import type { compareCalls } from '../common/contract/compare.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { compareModels } from './compare.ts';

/** Handlers for the calls declared in common/contract/compare.ts. */
export const compareHandlers: HandlerMap<keyof typeof compareCalls> = {
  'compare.models': (req, ctx) => compareModels(ctx.ws, req.ids),
  'export.start': ({ backend, ...params }, ctx) => ctx.jobs.submit('models.export', params, { backend }),
  'latency.start': ({ backend, ...params }, ctx) => ctx.jobs.submit('models.latency', params, { backend }),
  'models.import': ({ backend, ...params }, ctx) => ctx.jobs.submit('models.import', params, { backend }),
};
