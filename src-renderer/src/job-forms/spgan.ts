/** The SPGAN job forms: training a run, and translating a dataset with one. Every option of their schemas is offered. */
import { jobKinds, spganConfigSchema, spganTranslateSchema } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';

/** Re-ID sets only: datasets with person ids. */
const datasetPicker = { widget: FormPick, props: { source: 'reidDatasets' } };

export function spganTrainForm(): JobFormDef {
  return {
    kind: jobKinds.spganTrain,
    schema: spganConfigSchema,
    title: 'New SPGAN run',
    intro: 'Translate a labeled source re-ID set into the style of an unlabeled target set. Small image sizes and widths finish on a CPU.',
    fields: { sourceDatasetId: datasetPicker, targetDatasetId: { widget: FormPick, props: { source: 'reidDatasets', distinctFrom: 'sourceDatasetId' } } },
  };
}

export function spganTranslateForm(): JobFormDef {
  return {
    kind: jobKinds.spganTranslate,
    schema: spganTranslateSchema,
    title: 'Translate a dataset',
    intro: 'Creates a new dataset: every image passed through the run’s source-to-target generator, ids and cameras kept.',
    fields: { runJobId: { widget: FormPick, props: { source: 'spganRuns' } }, datasetId: datasetPicker },
  };
}
