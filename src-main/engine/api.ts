import type { engineCalls } from '../common/contract/engine.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/engine.ts. */
export const engineHandlers: HandlerMap<keyof typeof engineCalls> = {
  'engine.info': () => {
    throw new Error('not implemented yet');
  },
};
