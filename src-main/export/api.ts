import type { compareCalls } from '../common/contract/compare.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/compare.ts. */
export const compareHandlers: HandlerMap<keyof typeof compareCalls> = {};
