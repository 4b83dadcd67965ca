/** The re-ID job forms: training an IDE model and evaluating one under the Market-1501 protocol. */
import { jobKinds, reidEvalSchema, reidTrainSchema } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';

/** Re-ID sets only: datasets with person ids. */
const datasetPicker = { widget: FormPick, props: { source: 'reidDatasets' } };

export function reidTrainForm(): JobFormDef {
  return {
    kind: jobKinds.reidTrain,
    schema: reidTrainSchema,
    title: 'Train an IDE re-ID model',
    // Optional: without a model to start from, the weights start random.
    fields: {
      datasetId: datasetPicker,
      initFromModelId: { widget: FormPick, props: { source: 'backboneModels' } },
      arch: { label: 'Backbone' },
      lmpParts: { label: 'LMP horizontal parts', help: '0: global average pooling (IDE); 1-8: local max pooling over that many horizontal stripes, concatenated.' },
    },
  };
}

export function reidEvalForm(): JobFormDef {
  return {
    kind: jobKinds.reidEval,
    schema: reidEvalSchema,
    title: 'Evaluate a re-ID model',
    intro: 'Market-1501 protocol: CMC and mAP; the ranked lists are kept for the explorer.',
    fields: { modelId: { widget: FormPick, props: { source: 'reidModels' } }, queryDatasetId: datasetPicker, galleryDatasetId: datasetPicker },
  };
}
