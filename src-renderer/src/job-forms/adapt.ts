/** The domain adaptation job forms: making an MNIST-M style target domain, an adaptation run, and measuring a model on a source and a target. */
import { adaptEvalSchema, adaptGenerateSchema, adaptTrainSchema, jobKinds } from '../../../src-main/common/contract/index.ts';
import type { FormValues, JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormRadio from '../forms/FormRadio.vue';
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
      arch: { label: 'Backbone' },
      lr: { label: 'Learning rate', help: "SGD's starting rate, annealed as DANN's mu0 / (1 + 10p)^0.75." },
      weightDecay: { label: 'Weight decay' },
      domainWeight: { label: 'Domain loss weight (DANN)' },
      domainHidden: { label: 'Domain classifier hidden units (DANN)' },
      translatedDatasetId: { ...sameClassesPicker, label: 'Translated source (DAAA)', help: 'The source translated to the target style (an SPGAN/CycleGAN translation); DAAA needs it.' },
      attentionWeight: { label: 'Attention alignment weight (DAAA)' },
      targetWeight: { label: 'Soft-label loss weight (DAAA)' },
      emStartEpoch: { label: 'First epoch with soft labels (DAAA)', help: 'Later than 2 gives the model a warm-up before it labels the target.' },
      emPrior: { label: 'Target class prior (DAAA)', help: "estimated: re-estimated by EM (the paper's); balanced: held at the source's, so the soft labels cannot collapse onto one class." },
      limit: { label: 'Training images per domain (at most)', placeholder: 'every image' },
      testLimit: { label: 'Test images per domain (at most)', placeholder: 'every image' },
      inputSize: { label: 'Input size (height, width)', help: "Both domains are resized to it; empty: the source's size." },
    },
  };
}

/**
 * adapt.eval: an adaptation run (its model, source and target) or any workspace classifier on a
 * source and a target split. The schema takes exactly one of jobId and modelId; the form's "Evaluate"
 * choice shows one picker, so only that one is sent.
 */
export function adaptEvalForm(): JobFormDef {
  const ofRun = (v: FormValues) => v.evaluate !== 'model';
  const ofModel = (v: FormValues) => v.evaluate === 'model';
  return {
    kind: jobKinds.adaptEval,
    schema: adaptEvalSchema,
    idPrefix: 'adapt-eval',
    title: 'Measure a model on a source and a target',
    intro: "Source and target accuracy, per-class accuracy and the confusion on the target (its labels only measure), and a 2-D PCA of the penultimate features of both domains.",
    sections: [
      {
        fields: [
          { path: 'evaluate', local: true, label: 'Evaluate', widget: FormRadio, wide: true, initial: 'run', options: { run: 'An adaptation run (its source and target)', model: 'A workspace classifier (name both datasets)' } },
          { path: 'jobId', label: 'Adaptation run', id: 'run', widget: FormPick, props: { source: 'adaptRuns' }, required: true, when: ofRun },
          { path: 'modelId', label: 'Classifier', id: 'model', widget: FormPick, props: { source: 'classModels' }, required: true, when: ofModel },
          // A run names its datasets (these override them); a classifier needs both, marked and checked as every required field (one entry per mode, same id).
          { path: 'sourceDatasetId', label: 'Source dataset', id: 'source', widget: FormPick, props: { source: 'classDatasets' }, none: "The run's source", when: ofRun },
          { path: 'targetDatasetId', label: 'Target dataset', id: 'target', widget: FormPick, props: { source: 'classDatasets', sameClassesAs: 'sourceDatasetId' }, none: "The run's target", when: ofRun },
          { path: 'sourceDatasetId', label: 'Source dataset', id: 'source', widget: FormPick, props: { source: 'classDatasets' }, required: true, when: ofModel },
          { path: 'targetDatasetId', label: 'Target dataset', id: 'target', widget: FormPick, props: { source: 'classDatasets', sameClassesAs: 'sourceDatasetId', distinctFrom: 'sourceDatasetId' }, required: true, when: ofModel },
          { path: 'sourceSplit', label: 'Source split', id: 'source-split' },
          { path: 'targetSplit', label: 'Target split', id: 'target-split' },
          { path: 'limit', label: 'Measure at most N images per domain', id: 'limit', placeholder: 'every image' },
          { path: 'embedCount', label: 'Images per domain in the embedding', id: 'embed' },
          { path: 'seed', label: 'Seed', id: 'seed', help: 'Which images are drawn: two models with the same seed embed the same images.' },
        ],
      },
    ],
  };
}
