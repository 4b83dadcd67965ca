import { jobKinds } from '../common/contract/kinds.ts';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { ApiError } from '../common/contract/errors.ts';
import { localizeGenerateSchema } from '../common/contract/localize.ts';
import type { LocalizeGenerateParams } from '../common/contract/localize.ts';
import { datasetFacts } from '../datasets/checks.ts';
import type { GenerateResult } from './generate-runner.ts';
import { commitGenerated } from './generate-store.ts';

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */

export const localizeGenerateJob = defineJob<LocalizeGenerateParams, GenerateResult>({
  kind: jobKinds.localizeGenerate,
  params: localizeGenerateSchema,
  title: (p) => `Generate a ${p.recipe} localization set from dataset ${p.objectDatasetId}`,
  resource: 'io',
  resumable: false,
  preflight(p, ws) {
    const facts = datasetFacts(ws.db, p.objectDatasetId, 'objectDatasetId');
    const labeled = (ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND label IS NOT NULL AND label >= 0').get(p.objectDatasetId) as { n: number }).n;
    const wanted = p.train + p.val + p.test;
    if (labeled < wanted) throw new ApiError('invalid_request', `objectDatasetId: dataset ${facts.id} "${facts.name}" has ${labeled} labeled images; train + val + test asks for ${wanted}.`, 'objectDatasetId');
    if (p.recipe === 'textured') {
      if (p.backgroundDatasetId === undefined) throw new ApiError('invalid_request', 'backgroundDatasetId: the textured recipe needs a background dataset (e.g. CIFAR-10); or choose the cluttered recipe.', 'backgroundDatasetId');
      datasetFacts(ws.db, p.backgroundDatasetId, 'backgroundDatasetId');
    }
  },
  load: () => import('./generate-runner.ts'),
  onComplete(ctx, r) {
    commitGenerated(ctx.ws, ctx.jobId, r);
  },
});

export const localizeJobSpecs: AnyJobSpec[] = [localizeGenerateJob];
