import type { augmentCalls } from '../common/contract/augment.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/augment.ts. */
export const augmentHandlers: HandlerMap<keyof typeof augmentCalls> = {};
