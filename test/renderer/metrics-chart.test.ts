// @vitest-environment happy-dom
import { describe, it, expect } from 'vitest';
import { mount } from '@vue/test-utils';
import UiMetricsChart from '../../src-renderer/src/ui/UiMetricsChart.vue';
import UiChart from '../../src-renderer/src/ui/UiChart.vue';
import { metricLabel } from '../../src-renderer/src/ui/metric-labels.ts';
import type { MetricPoint } from '../../src-main/common/contract/index.ts';

const point = (name: string, epoch: number, value: number): MetricPoint => ({ name, epoch, step: epoch, value });

describe('the metrics charts', () => {
  it('draws learning rates as steps (a step schedule is not a ramp) and other metrics as lines', () => {
    const points = [point('loss', 1, 2.1), point('loss', 2, 1.7), point('lr', 1, 0.1), point('lr', 2, 0.01), point('batch_lr', 1.5, 0.01)];
    const w = mount(UiMetricsChart, { props: { points }, global: { stubs: { UiChart: true } } });
    const byTitle = new Map(w.findAll('.card').map((card) => [card.get('h3').text(), card.findComponent(UiChart).props('data') as { datasets: { label: string; stepped?: string }[] }]));
    expect([...byTitle.keys()]).toEqual(['Loss', 'Learning rate']);
    expect(byTitle.get('Learning rate')!.datasets.map((d) => [d.label, d.stepped])).toEqual([['lr', 'before'], ['batch_lr', 'before']]);
    expect(byTitle.get('Loss')!.datasets.map((d) => d.stepped)).toEqual([undefined]);
  });

  // After a run's first epoch each epoch metric has one point: without a marker its chart looks empty.
  it('marks the points of a short series, so a single epoch shows, and not those of a long one', () => {
    const points = [point('accuracy', 1, 0.14), ...Array.from({ length: 200 }, (_, i) => point('batch_loss', i / 100, 2 - i / 200))];
    const w = mount(UiMetricsChart, { props: { points }, global: { stubs: { UiChart: true } } });
    const datasets = w.findAll('.card').flatMap((card) => (card.findComponent(UiChart).props('data') as { datasets: { label: string; pointRadius?: number }[] }).datasets);
    expect(datasets.map((d) => [d.label, d.pointRadius])).toEqual([['batch_loss', 0], ['accuracy', 3]]);
  });

  // Legends read as words, from one table every chart uses; names it does not know stay as they are.
  it('names the series in words in every chart: Validation accuracy, Images/s', () => {
    const points = [point('val_accuracy', 1, 0.5), point('accuracy', 1, 0.4), point('images_per_second', 1, 812), point('d_A', 1, 0.3)];
    const w = mount(UiMetricsChart, { props: { points } });
    const labels = w.findAll('canvas').map((c) => c.attributes('aria-label'));
    expect(labels).toEqual(['Accuracy by epoch: Validation accuracy, Training accuracy', 'Other by epoch: Images/s, d_A']);
    expect(metricLabel('val_rank1')).toBe('Validation rank-1');
    expect(metricLabel('resnet20')).toBe('resnet20');
  });
});
