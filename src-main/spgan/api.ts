import type { spganCalls } from '../common/contract/spgan.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/spgan.ts. */
export const spganHandlers: HandlerMap<keyof typeof spganCalls> = {};
