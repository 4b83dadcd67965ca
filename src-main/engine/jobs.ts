import type { AnyJobSpec } from '../jobs/types.ts';

/** Job kinds of the compute engine (probe, benchmark). */
export const engineJobSpecs: AnyJobSpec[] = [];
