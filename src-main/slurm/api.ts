import type { slurmCalls } from '../common/contract/slurm.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { listProfiles, removeProfile, setProfile } from './profiles.ts';

/** Handlers for the calls declared in common/contract/slurm.ts. */
export const slurmHandlers: HandlerMap<keyof typeof slurmCalls> = {
  'slurm.profiles.list': (_req, ctx) => listProfiles(ctx.ws),
  'slurm.profiles.set': (req, ctx) => {
    const profile = setProfile(ctx.ws, req.profile);
    ctx.events.emit('data.changed', { what: 'settings' });
    return profile;
  },
  'slurm.profiles.remove': (req, ctx) => {
    const removed = removeProfile(ctx.ws, req.name);
    if (removed) ctx.events.emit('data.changed', { what: 'settings' });
    return { removed };
  },
};
