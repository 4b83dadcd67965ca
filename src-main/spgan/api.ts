import type { spganCalls } from '../common/contract/spgan.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { ApiError } from '../common/contract/errors.ts';

const pending = (): never => {
  throw new ApiError('failed', 'not implemented yet');
};

/** Handlers for the calls declared in common/contract/spgan.ts. */
export const spganHandlers: HandlerMap<keyof typeof spganCalls> = {
  'spgan.runs': pending,
  'spgan.samples': pending,
  'spgan.targetExamples': pending,
  'spgan.translatedDatasets': pending,
  'spgan.translatedPairs': pending,
};
