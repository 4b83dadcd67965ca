import type { reidCalls } from '../common/contract/reid.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { ApiError } from '../common/contract/errors.ts';

const pending = (): never => {
  throw new ApiError('failed', 'not implemented yet');
};

/** Handlers for the calls declared in common/contract/reid.ts. */
export const reidHandlers: HandlerMap<keyof typeof reidCalls> = {
  'reid.models': pending,
  'reid.evals': pending,
  'reid.queries': pending,
  'reid.ranking': pending,
};
