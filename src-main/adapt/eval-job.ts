import { jobKinds } from '../common/contract/kinds.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { adaptEvalSchema, type AdaptEvalParams, type AdaptEvalResult } from '../common/contract/adapt.ts';
import { resolveEvalInput } from './eval-input.ts';

/** `adapt.eval`: accuracy on source and target, per-class accuracy and confusion on the target, and a 2-D PCA of both domains' features (eval-runner.ts). */
export const adaptEvalJob = defineJob<AdaptEvalParams, AdaptEvalResult>({
  kind: jobKinds.adaptEval,
  params: adaptEvalSchema,
  title: (p) => `Evaluate ${p.jobId !== undefined ? `adaptation run ${p.jobId}` : `model ${p.modelId}`} on source and target${p.sourceDatasetId !== undefined ? ` (datasets ${p.sourceDatasetId} → ${p.targetDatasetId ?? '?'})` : ''}`,
  resource: 'compute',
  // Forward passes only: a cancelled one is simply started again.
  resumable: false,
  preflight(p, ws) {
    resolveEvalInput(ws.db, p);
  },
  load: () => import('./eval-runner.ts'),
});
