/** Handlers for the calls declared in common/contract/prune.ts (no TF.js: they run in the writer process). */
import { ApiError } from '../common/contract/errors.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { layerRatesFromSensitivity, type pruneCalls, type SensitivityResult } from '../common/contract/prune.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { jobRow } from '../core/jobs/job-store.ts';

export const pruneHandlers: HandlerMap<keyof typeof pruneCalls> = {
  'prune.layerRates': (req, { ws }) => {
    const row = jobRow(ws.db, req.jobId);
    if (!row) throw new ApiError('not_found', `Job ${req.jobId} does not exist.`, 'jobId');
    if (row.kind !== jobKinds.pruneSensitivity) throw new ApiError('invalid_request', `Job ${req.jobId} is a ${row.kind} job, not a sensitivity scan.`, 'jobId');
    if (row.status !== 'succeeded' || !row.result) throw new ApiError('invalid_request', `Sensitivity scan ${req.jobId} has not finished (${row.status}).`, 'jobId');
    const result = JSON.parse(row.result) as SensitivityResult;
    return { jobId: row.id, maxDrop: req.maxDrop, layerRates: layerRatesFromSensitivity(result, req.maxDrop) };
  },
};
