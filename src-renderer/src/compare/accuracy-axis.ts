/**
 * The accuracy axis of the Compare charts: a little room around the points,
 * never below 0% or above 100% (left to the chart, one model at 0% drew an
 * axis from -1% to 1%). Values are percent.
 */
export function accuracyAxisRange(percents: readonly number[], margin = 2): { min?: number; max?: number } {
  if (!percents.length) return {};
  return { min: Math.max(0, Math.floor(Math.min(...percents) - margin)), max: Math.min(100, Math.ceil(Math.max(...percents) + margin)) };
}
