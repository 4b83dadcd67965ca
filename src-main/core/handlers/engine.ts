import type { engineCalls } from '../../common/contract/engine.ts';
import { ApiError } from '../../common/contract/errors.ts';
import type { HandlerMap } from '../handler-types.ts';
import { readSettings } from '../settings.ts';
import { probeEngine } from '../engine-probe.ts';

/** Handlers for the calls declared in common/contract/engine.ts. */
export const engineHandlers: HandlerMap<keyof typeof engineCalls> = {
  'engine.info': async (req, ctx) => {
    const backend = req.backend ?? readSettings(ctx.ws).backend;
    try {
      return await probeEngine(backend, req.refresh ?? false);
    } catch (error) {
      throw new ApiError('failed', `Could not start the compute engine (${backend}): ${(error as Error).message}`);
    }
  },
};
