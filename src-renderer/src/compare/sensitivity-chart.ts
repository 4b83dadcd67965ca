import type { SensitivityResult } from '../../../src-main/common/contract/index.ts';

/** Plot area of the accuracy-vs-rate chart, in SVG units. */
export const chart = { width: 560, height: 300, left: 44, right: 12, top: 12, bottom: 32 };

export const xOf = (rate: number): number => chart.left + rate * (chart.width - chart.left - chart.right);
export const yOf = (accuracy: number): number => chart.top + (1 - accuracy) * (chart.height - chart.top - chart.bottom);

/** One line per group (conv or stage): SVG points "x,y ..." of accuracy at each rate, starting from the unpruned accuracy at rate 0. */
export function sensitivityLines(result: SensitivityResult): { name: string; points: string; color: string }[] {
  const n = Math.max(1, result.groups.length);
  return result.groups.map((g, i) => ({
    name: g.name,
    color: `hsl(${Math.round((i * 360) / n)}, 65%, 45%)`,
    points: [[0, result.baseline] as const, ...result.rates.map((r, k) => [r, g.accuracy[k]!] as const)].map(([r, a]) => `${xOf(r).toFixed(1)},${yOf(a).toFixed(1)}`).join(' '),
  }));
}
