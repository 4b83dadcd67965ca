import type { AnyJobSpec } from '../jobs/types.ts';

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */
export const compareJobSpecs: AnyJobSpec[] = [];
