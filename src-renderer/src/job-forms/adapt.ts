/** The domain adaptation job forms: making an MNIST-M style target domain, and an adaptation run. */
import { adaptGenerateSchema, adaptTrainSchema, jobKinds } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';

const datasetPicker = { widget: FormPick, props: { source: 'datasets' } };

export function adaptGenerateForm(): JobFormDef {
  return {
    kind: jobKinds.adaptGenerate,
    schema: adaptGenerateSchema,
    title: 'Make a target domain (MNIST-M style)',
    intro: 'Each grayscale image blended with a random crop of a colour image (|patch - image| per channel); labels and splits carry over.',
    fields: { sourceDatasetId: datasetPicker, patchDatasetId: datasetPicker },
  };
}

export function adaptTrainForm(): JobFormDef {
  return {
    kind: jobKinds.adaptTrain,
    schema: adaptTrainSchema,
    title: 'Adapt a classifier to a target domain',
    intro: "Source 'train' is trained on; target 'train' is read without labels; both 'test' splits are only measured.",
    fields: { sourceDatasetId: datasetPicker, targetDatasetId: datasetPicker, translatedDatasetId: datasetPicker },
  };
}
