import type { trainingCalls } from '../common/contract/training.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/training.ts. */
export const trainingHandlers: HandlerMap<keyof typeof trainingCalls> = {};
