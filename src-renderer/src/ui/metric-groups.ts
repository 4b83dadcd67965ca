/**
 * Which metrics share a chart, per job kind: a chart per family of terms a
 * person compares (SPGAN's adversarial, cycle/identity and contrastive losses),
 * time apart from losses. Kinds without an entry use the general grouping.
 */
import { jobKinds } from '../../../src-main/common/contract/index.ts';

export interface MetricGroup {
  title: string;
  match: (name: string) => boolean;
}

const time: MetricGroup = { title: 'Time', match: (n) => /seconds|per_epoch|img\/s|images_per_second/i.test(n) };

export const generalGroups: MetricGroup[] = [
  time,
  { title: 'Loss', match: (n) => /loss/i.test(n) },
  { title: 'Accuracy', match: (n) => /acc|map|rank|top/i.test(n) },
  { title: 'Learning rate', match: (n) => /(^|\W|_)lr($|\W|_)|learning/i.test(n) },
];

const byKind: Partial<Record<string, MetricGroup[]>> = {
  [jobKinds.spganTrain]: [
    time,
    { title: 'Adversarial (discriminators and generators)', match: (n) => /^(d_A|d_B|g_adv)$/.test(n) },
    { title: 'Cycle and identity', match: (n) => /^(cycle|identity)$/.test(n) },
    { title: 'Contrastive (SiaNet)', match: (n) => /^(contrastive|siamese)$/.test(n) },
    { title: 'Generator total', match: (n) => n === 'g_total' },
  ],
};

export function metricGroupsFor(kind: string | undefined): MetricGroup[] {
  return (kind ? byKind[kind] : undefined) ?? generalGroups;
}
