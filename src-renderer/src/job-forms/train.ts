/**
 * The new-run form of a `train` job: baseline training, fine-tuning and
 * SFP/PSFP pruning. What each value may be comes from `trainConfigSchema`;
 * this file says which parts of the config the form offers, in which
 * section, under which label. Start values follow the SFP CIFAR recipe,
 * shortened to something a CPU finishes.
 */
import { jobKinds, trainConfigSchema, type TrainConfigInput } from '../../../src-main/common/contract/index.ts';
import { useTrainingStore } from '../stores/training.ts';
import type { FormValues, JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormPickSplit from '../forms/FormPickSplit.vue';
import FormPickSplitSet from '../forms/FormPickSplitSet.vue';
import FormRadio from '../forms/FormRadio.vue';

/**
 * Step milestones at 50% and 75% of the run (the SFP recipe's proportions),
 * as the form's text. The schedule counts epochs from 0 and drops the lr at
 * `epoch >= m`, so only 1..epochs-1 has an effect; a 1-epoch run keeps "1"
 * (allowed, never reached) because a step schedule needs one milestone.
 */
export function defaultMilestones(epochs: number): string {
  const e = Number.isFinite(epochs) ? Math.floor(epochs) : 0;
  const ms = [...new Set([Math.round(e * 0.5), Math.round(e * 0.75)])].filter((m) => m >= 1 && m < e);
  return (ms.length ? ms : [1]).join(', ');
}

export function trainForm(): JobFormDef {
  const training = useTrainingStore();
  const arch = (v: FormValues) => training.architectures.find((a) => a.name === v['model.arch']);
  const scratch = (v: FormValues) => v.start === 'scratch';
  const schedule = (kind: string) => (v: FormValues) => v['schedule.kind'] === kind;
  const pruned = (v: FormValues) => v['prune.method'] !== null;
  return {
    kind: jobKinds.trainRun,
    schema: trainConfigSchema,
    idPrefix: 'tr',
    testId: 'train-form',
    submitLabel: 'Start training',
    backend: true,
    // The server checks the config against the workspace (dataset, architecture, input size) before queueing it.
    submit: (config, backend, runOn) => training.start(config as TrainConfigInput, backend, runOn),
    sections: [
      {
        title: 'Data',
        fields: [
          { path: 'dataset.id', label: 'Dataset', id: 'dataset', widget: FormPick, props: { source: 'classDatasets' } },
          { path: 'dataset.split', label: 'Splits', id: 'split-set', widget: FormPickSplitSet, props: { dataset: 'dataset.id' }, help: 'Named splits are made on the dataset page, Splits tab (a dataset with none offers one here); a named split\'s "val" part is the validation set (nothing is held out of train).' },
          { path: 'dataset.trainSplit', label: 'Train split', id: 'train-split', widget: FormPickSplit, props: { dataset: 'dataset.id', set: 'dataset.split' } },
          { path: 'dataset.testSplit', label: 'Test split', id: 'test-split', widget: FormPickSplit, props: { dataset: 'dataset.id', prefer: 'test', set: 'dataset.split' }, none: 'none' },
          { path: 'dataset.validationFraction', label: 'Validation fraction', id: 'val', step: 0.05 },
          { path: 'dataset.limit', label: 'Use only N training images', id: 'limit', placeholder: 'all', help: 'Empty = all; small numbers make quick trial runs.' },
          { path: 'dataset.testLimit', label: 'Use only N test images', id: 'test-limit', placeholder: 'all', help: 'Empty = all; the first N of the test split.', when: (v) => v['dataset.testSplit'] !== null },
          { path: 'augment.pipelineId', label: 'Augmentation pipeline', id: 'pipeline', widget: FormPick, props: { source: 'pipelines' }, none: 'none', help: 'Applied to training images only, exactly as the Augmentations page previews it.' },
        ],
      },
      {
        title: 'Model',
        fields: [
          { path: 'start', local: true, label: 'Start', widget: FormRadio, wide: true, initial: 'scratch', options: { scratch: 'Train from scratch', parent: 'Start from a workspace model (fine-tune / prune)' } },
          { path: 'model.arch', label: 'Architecture', id: 'arch', widget: FormPick, props: { source: 'architectures' }, initial: 'resnet20', help: (v) => arch(v)?.description, when: scratch },
          // 'A' is the SFP reference's shortcut for the CIFAR ResNets.
          { path: 'model.options.shortcut', label: 'Shortcut', id: 'shortcut', initial: 'A', help: 'A: parameter-free (SFP reference); B: 1×1 conv.', when: (v) => scratch(v) && arch(v)?.family === 'cifar' },
          { path: 'parentModelId', label: 'Parent model', id: 'parent', widget: FormPick, props: { source: 'models' }, required: true, errorPaths: ['model'], when: (v) => !scratch(v) },
          { path: 'name', label: 'Name', id: 'name', help: 'Default: architecture, method and dataset.' },
        ],
      },
      {
        title: 'Optimisation',
        fields: [
          { path: 'epochs', label: 'Epochs', id: 'epochs', initial: 10 },
          { path: 'batchSize', label: 'Batch size', id: 'batch' },
          { path: 'optimizer.lr', label: 'Learning rate', id: 'lr' },
          { path: 'optimizer.momentum', label: 'Momentum', id: 'momentum', step: 0.01 },
          { path: 'optimizer.weightDecay', label: 'Weight decay', id: 'wd' },
          { path: 'optimizer.nesterov', label: 'Nesterov momentum', id: 'nesterov' },
          { path: 'schedule.kind', label: 'LR schedule', id: 'schedule', initial: 'step', options: { constant: 'constant', step: 'step (× gamma at milestones)', cosine: 'cosine' } },
          { path: 'schedule.milestones', label: 'Milestone epochs', id: 'milestones', help: 'Comma separated, increasing; default 50% and 75% of the epochs.', derive: (v) => defaultMilestones(Number(v.epochs)), when: schedule('step') },
          // 0.2: the SFP CIFAR recipe's factor ([60, 120, 160] x 0.2); the schema's own default is 0.1.
          { path: 'schedule.gamma', label: 'Gamma', id: 'gamma', initial: 0.2, step: 0.05, when: schedule('step') },
          { path: 'schedule.minLr', label: 'Final LR', id: 'minlr', when: schedule('cosine') },
          { path: 'warmup.epochs', label: 'Warm-up epochs', id: 'warmup', initial: 0, emptyValue: 0 },
          { path: 'seed', label: 'Seed', id: 'seed' },
        ],
      },
      {
        title: 'Soft filter pruning',
        fields: [
          { path: 'prune.method', label: 'Method', id: 'prune', initial: null, none: 'none', options: { sfp: 'SFP (fixed rate)', psfp: 'PSFP (progressive rate)' } },
          // 30%: one of the SFP paper's CIFAR pruning rates.
          { path: 'prune.rate', label: 'Pruning rate', id: 'rate', initial: 0.3, step: 0.05, help: 'Fraction of filters zeroed per layer, in [0, 1).', when: pruned },
          { path: 'prune.interval', label: 'Mask every N epochs', id: 'interval', when: pruned },
          { path: 'prune.d', label: 'D (¾ of the rate at D × epochs)', id: 'd', step: 0.025, when: (v) => v['prune.method'] === 'psfp' },
          {
            path: 'prune.criterion',
            label: 'Importance criterion',
            id: 'criterion',
            options: { l2: 'L2 norm (SFP)', l1: 'L1 norm', fpgm: 'geometric median (FPGM)', 'bn-scale': 'BatchNorm |γ| (slimming)', taylor: 'first-order Taylor' },
            help: 'Which filters count as least important; the lowest are zeroed.',
            when: pruned,
          },
          { path: 'prune.zeroBn', label: 'Zero BN γ and β of pruned channels', id: 'zero-bn', when: pruned },
          { path: 'prune.noRegrowth', label: 'No regrowth (mask gradient and momentum until the next mask)', id: 'no-regrowth', when: pruned },
          { path: 'prune.reestimateBn', label: 'Re-estimate BN statistics after each mask', id: 'reestimate-bn', when: pruned },
        ],
      },
    ],
  };
}
