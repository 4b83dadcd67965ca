import type { datasetsCalls } from '../common/contract/datasets.ts';
import type { HandlerMap } from '../core/handler-types.ts';

/** Handlers for the calls declared in common/contract/datasets.ts. */
export const datasetsHandlers: HandlerMap<keyof typeof datasetsCalls> = {};
