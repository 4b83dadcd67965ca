import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { engineJobSpecs } from '../bench/engine/jobs.ts';
import { datasetsJobSpecs } from '../datasets/jobs.ts';
import { augmentJobSpecs } from '../augment/jobs.ts';
import { modelsJobSpecs } from '../models/jobs.ts';
import { trainingJobSpecs } from '../train/jobs.ts';
import { spganJobSpecs } from '../spgan/jobs.ts';
import { reidJobSpecs } from '../reid/jobs.ts';
import { localizeJobSpecs } from '../localize/jobs.ts';
import { adaptJobSpecs } from '../adapt/jobs.ts';
import { verifyArtifactsJob } from '../core/workspace-verify.ts';

/** Every job kind, by name. Both the writer process and the job process read this. */
export const jobSpecs: ReadonlyMap<string, AnyJobSpec> = new Map(
  [
    verifyArtifactsJob as AnyJobSpec,
    ...engineJobSpecs,
    ...datasetsJobSpecs,
    ...augmentJobSpecs,
    ...modelsJobSpecs,
    ...trainingJobSpecs,
    ...spganJobSpecs,
    ...reidJobSpecs,
    ...localizeJobSpecs,
    ...adaptJobSpecs,
  ].map((spec) => [spec.kind, spec]),
);
