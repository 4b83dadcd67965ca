import type { reidCalls } from '../common/contract/reid.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/reid.ts. */
export const reidHandlers: HandlerMap<keyof typeof reidCalls> = {};
