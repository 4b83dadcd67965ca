/** The domain adaptation job forms: making an MNIST-M style target domain, and an adaptation run. */
import { adaptGenerateSchema, adaptTrainSchema, jobKinds } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormPickDomain from '../adapt/FormPickDomain.vue';

// The source is labelled; target and translation must share its label set (the server refuses other class counts).
const sourcePicker = { widget: FormPick, props: { source: 'classDatasets' } };
const sameClassesPicker = { widget: FormPick, props: { source: 'classDatasets', sameClassesAs: 'sourceDatasetId' } };

export function adaptGenerateForm(): JobFormDef {
  return {
    kind: jobKinds.adaptGenerate,
    schema: adaptGenerateSchema,
    title: 'Make a target domain (MNIST-M style)',
    intro: 'Each grayscale image blended with a random crop of a colour image (|patch - image| per channel); labels and splits carry over.',
    fields: { sourceDatasetId: { widget: FormPick, props: { source: 'grayDatasets' } }, patchDatasetId: { widget: FormPick, props: { source: 'colourDatasets' } } },
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
      sourceDatasetId: sourcePicker,
      sourceDomain: { widget: FormPickDomain, props: { dataset: 'sourceDatasetId' }, label: 'Source domain', none: 'Whole dataset (its splits)' },
      targetDatasetId: sameClassesPicker,
      targetDomain: { widget: FormPickDomain, props: { dataset: 'targetDatasetId' }, label: 'Target domain', none: 'Whole dataset (its splits)' },
      translatedDatasetId: sameClassesPicker,
    },
  };
}
