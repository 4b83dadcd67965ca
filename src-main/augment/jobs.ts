import type { AnyJobSpec } from '../core/jobs/spec.ts';

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const augmentJobSpecs: AnyJobSpec[] = [];
