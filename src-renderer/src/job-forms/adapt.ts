/** The domain adaptation job forms: making an MNIST-M style target domain, and an adaptation run. */
import { adaptGenerateSchema, adaptTrainSchema, jobKinds } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormPickDomain from '../adapt/FormPickDomain.vue';

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
    intro:
      "Source 'train' is trained on; target 'train' is read without labels; both 'test' splits are only measured. For a set of domain folders (Office-31), pick a domain on each side: the source's labelled images train, the target's images are read without labels and measured.",
    fields: {
      sourceDatasetId: datasetPicker,
      sourceDomain: { widget: FormPickDomain, props: { dataset: 'sourceDatasetId' }, label: 'Source domain', none: 'Whole dataset (its splits)' },
      targetDatasetId: datasetPicker,
      targetDomain: { widget: FormPickDomain, props: { dataset: 'targetDatasetId' }, label: 'Target domain', none: 'Whole dataset (its splits)' },
      translatedDatasetId: datasetPicker,
    },
  };
}
