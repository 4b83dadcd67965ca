/**
 * Chart data of an embedding plot (an adapt.eval result's 2-D PCA points):
 * one dataset per domain (source and target coloured apart), each point's
 * class as its marker shape and in its tooltip.
 */
import type { ChartData, ChartOptions, PointStyle, TooltipItem } from 'chart.js';
import type { AdaptEvalResult } from '../../../src-main/common/contract/index.ts';

const markers: PointStyle[] = ['circle', 'triangle', 'rect', 'star', 'crossRot', 'rectRot', 'cross', 'dash', 'rectRounded', 'line'];
export const markerOf = (label: number): PointStyle => markers[label % markers.length]!;
const domainColors = { source: '#2f6fde', target: '#e8743b' } as const;

export function embeddingData(r: AdaptEvalResult): ChartData<'scatter'> {
  return {
    datasets: (['source', 'target'] as const).map((domain) => {
      const pts = r.embedding.points.filter((p) => p.domain === domain);
      return {
        label: domain === 'source' ? 'Source' : 'Target',
        data: pts.map((p) => ({ x: p.x, y: p.y })),
        pointStyle: pts.map((p) => markerOf(p.label)),
        borderColor: domainColors[domain],
        backgroundColor: `${domainColors[domain]}66`,
        pointRadius: 4,
      };
    }),
  };
}

/** Tooltips name the domain, the true class and the model's prediction. */
export function embeddingOptions(r: AdaptEvalResult): ChartOptions<'scatter'> {
  const name = (i: number): string => r.classNames[i] ?? String(i);
  return {
    plugins: {
      tooltip: {
        callbacks: {
          label: (item: TooltipItem<'scatter'>) => {
            const domain = item.datasetIndex === 0 ? 'source' : 'target';
            const p = r.embedding.points.filter((q) => q.domain === domain)[item.dataIndex];
            return p ? `${domain}: ${name(p.label)} (predicted ${name(p.predicted)})` : '';
          },
        },
      },
    },
    scales: {
      x: { type: 'linear', title: { display: true, text: `PC 1 (${(r.embedding.explained[0] * 100).toFixed(0)}% of variance)` } },
      y: { type: 'linear', title: { display: true, text: `PC 2 (${(r.embedding.explained[1] * 100).toFixed(0)}%)` } },
    },
  };
}
