import type { settingsCalls } from '../../common/contract/settings.ts';
import type { HandlerMap } from '../handler-types.ts';
import { readSettings, writeSettings } from '../settings.ts';

/** Handlers for the calls declared in common/contract/settings.ts. */
export const settingsHandlers: HandlerMap<keyof typeof settingsCalls> = {
  'settings.get': (_req, ctx) => readSettings(ctx.ws),
  'settings.set': (req, ctx) => {
    const settings = writeSettings(ctx.ws, req);
    if (req.computeConcurrency !== undefined) ctx.jobs.setComputeConcurrency(req.computeConcurrency);
    ctx.events.emit('data.changed', { what: 'settings' });
    return settings;
  },
};
