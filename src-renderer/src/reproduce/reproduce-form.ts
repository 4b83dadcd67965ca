/**
 * The start form of one catalogue entry: scale, dataset (and a named split),
 * seeds, where it runs. It is the one job form (FormJob) with the contract's
 * `reproduce.start` schema, whose submit queues every run of the entry as one
 * sweep of `train` jobs.
 */
import { jobKinds, reproduceStartSchema, type JobSummary, type Req, type ReproductionEntry, type ReproductionSummary } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormPickSplitSet from '../forms/FormPickSplitSet.vue';
import FormRadio from '../forms/FormRadio.vue';
import { useReproduceStore } from '../stores/reproduce.ts';

export function reproduceForm(entry: ReproductionEntry, onStarted: (r: ReproductionSummary) => void): JobFormDef {
  const store = useReproduceStore();
  return {
    kind: jobKinds.trainRun,
    schema: reproduceStartSchema.omit({ entry: true }),
    title: `Reproduce: ${entry.title}`,
    intro: `Expects ${entry.dataset.description}.`,
    idPrefix: 'reproduce',
    testId: 'reproduce-form',
    submitLabel: 'Queue the runs',
    backend: true,
    sections: [
      {
        fields: [
          {
            path: 'scale',
            label: 'Scale',
            widget: FormRadio,
            wide: true,
            options: { quick: `Quick: ${entry.scales.quick.description}`, paper: `Paper: ${entry.scales.paper.description}` },
          },
          { path: 'datasetId', label: 'Dataset', id: 'dataset', widget: FormPick, props: { source: 'datasets' } },
          { path: 'split', label: 'Splits', id: 'split', widget: FormPickSplitSet, props: { dataset: 'datasetId' } },
          { path: 'seeds', label: 'Seeds (optional)', id: 'seeds', placeholder: 'the scale\'s', help: (v) => `Comma-separated; empty: ${entry.scales[(v.scale as 'quick' | 'paper') ?? 'quick'].defaultSeeds.join(', ')}.` },
        ],
      },
    ],
    submit: async (params, backend, runOn): Promise<JobSummary> => {
      // The form's values are the schema's fields less `entry`, checked by the same schema.
      const { reproduction, jobs } = await store.start({ ...(params as Omit<Req<'reproduce.start'>, 'entry'>), entry: entry.id, backend, runOn });
      onStarted(reproduction);
      return jobs[jobs.length - 1]!;
    },
  };
}
