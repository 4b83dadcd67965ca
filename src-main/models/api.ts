import type { modelsCalls } from '../common/contract/models.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/models.ts. */
export const modelsHandlers: HandlerMap<keyof typeof modelsCalls> = {};
