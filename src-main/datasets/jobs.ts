import { jobKinds } from '../common/contract/kinds.ts';
import { jobParams } from '../core/jobs/job-store.ts';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import { datasetImportParams } from '../common/contract/datasets.ts';
import type { DatasetImportParams } from '../common/contract/datasets.ts';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import type { ImportJobResult } from './import-runner.ts';
import { commitImport, datasetsWithRoot } from './import-writer.ts';
import { canonicalRoot } from './roots.ts';
import { unwrapRoot } from './formats/registry.ts';

export const datasetImportJob = defineJob<DatasetImportParams, ImportJobResult>({
  kind: jobKinds.datasetsImport,
  params: datasetImportParams,
  title: (p) => `Import ${p.name ?? path.basename(p.path)}${p.format !== 'auto' ? ` (${p.format})` : ''}`,
  resource: 'io',
  // An import keeps no checkpoint: resuming one (after its host died, say) runs it again from the start with the same parameters.
  resumable: true,
  preflight(p, ws) {
    const root = canonicalRoot(p.path);
    if (!existsSync(root)) throw new ApiError('invalid_request', `${root} does not exist.`, 'path');
    if (!statSync(root).isDirectory()) throw new ApiError('invalid_request', `${root} is not a folder.`, 'path');
    const clash = datasetsWithRoot(ws, unwrapRoot(root, p.format));
    if (clash.length > 0 && !p.allowDuplicate) {
      throw new ApiError('conflict', `${root} is already imported as dataset ${clash[0]!.id} "${clash[0]!.name}"; to import it a second time, tick "Import it again" (command line: --allow-duplicate).`, 'path');
    }
  },
  load: () => import('./import-runner.ts'),
  onComplete(ctx, result) {
    // The job's params are not passed here; a duplicate that slipped past preflight is refused unless the import allowed it.
    const allowDuplicate = Boolean(jobParams<{ allowDuplicate?: boolean }>(ctx.ws.db, ctx.jobId)?.allowDuplicate);
    commitImport(ctx.ws, ctx.jobId, result, allowDuplicate);
  },
});

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const datasetsJobSpecs: AnyJobSpec[] = [datasetImportJob];
