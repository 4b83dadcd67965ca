/** The form of a `prune.sensitivity` scan: a trained model, the data it is evaluated on, the criterion, per conv or per stage. */
import { jobKinds, pruneSensitivityConfigSchema } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormPickSplit from '../forms/FormPickSplit.vue';

export function sensitivityForm(): JobFormDef {
  return {
    kind: jobKinds.pruneSensitivity,
    schema: pruneSensitivityConfigSchema,
    title: 'New sensitivity scan',
    intro: 'Prunes each conv (or stage) alone at each rate, re-estimates BatchNorm statistics and evaluates on the test split.',
    idPrefix: 'sens',
    testId: 'sensitivity-form',
    submitLabel: 'Start scan',
    backend: true,
    sections: [
      {
        fields: [
          { path: 'modelId', label: 'Trained model', id: 'model', widget: FormPick, props: { source: 'classModels' } },
          // Evaluated on labels of the model's own label set: sets of the class count it was trained on.
          { path: 'dataset.id', label: 'Dataset', id: 'dataset', widget: FormPick, props: { source: 'classDatasets', classesOfModel: 'modelId' } },
          { path: 'dataset.trainSplit', label: 'Split for BN re-estimation', id: 'train-split', widget: FormPickSplit, props: { dataset: 'dataset.id' } },
          { path: 'dataset.testSplit', label: 'Evaluated split', id: 'test-split', widget: FormPickSplit, props: { dataset: 'dataset.id', prefer: 'test' } },
          { path: 'dataset.testLimit', label: 'Use only N test images', id: 'test-limit', placeholder: 'all' },
          {
            path: 'criterion',
            label: 'Importance criterion',
            id: 'criterion',
            options: { l2: 'L2 norm (SFP)', l1: 'L1 norm', fpgm: 'geometric median (FPGM)', 'bn-scale': 'BatchNorm |γ| (slimming)', taylor: 'first-order Taylor' },
          },
          { path: 'granularity', label: 'Prune alone', id: 'granularity', options: { conv: 'each conv', stage: 'each stage' } },
          { path: 'rates', label: 'Rates', id: 'rates', help: 'Comma separated, in (0, 1).' },
          { path: 'bnRecalibrationBatches', label: 'BN re-estimation batches', id: 'bn-batches', help: '0 evaluates with the stored statistics.' },
        ],
      },
    ],
  };
}
