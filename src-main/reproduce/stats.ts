/** Mean and spread over seeds, as every reproduction report and benchmark table prints them. */
export interface SeedSummary {
  n: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): SeedSummary {
  if (values.length === 0) return { n: 0, mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sum = values.reduce((a, b) => a + b, 0);
  return { n: values.length, mean: sum / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** "90.12 (89.80-90.44)" for several values, "90.12" for one, "-" for none. */
export function formatMeanSpread(s: SeedSummary, digits: number): string {
  if (s.n === 0) return '-';
  if (s.n === 1) return s.mean.toFixed(digits);
  return `${s.mean.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}
