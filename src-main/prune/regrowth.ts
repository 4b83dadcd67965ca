/**
 * Regrowth: a filter zeroed at the previous mask whose norm, just before the
 * next mask, is "large" again: at least REGROWTH_FRACTION of the median norm
 * of the filters that mask kept. Under SFP's soft mask this is the failure
 * mode of short schedules (a zeroed channel's gradient through BatchNorm is
 * scaled by gamma/sqrt(eps)), and what the filter heatmap colours apart.
 */
export const REGROWTH_FRACTION = 0.5;

/** prevZeroed: the previous mask per filter; norms: the filters' norms before this mask. */
export function regrownFilters(prevZeroed: readonly boolean[], norms: readonly number[], fraction = REGROWTH_FRACTION): boolean[] {
  const kept = norms.filter((_, j) => !prevZeroed[j]).sort((a, b) => a - b);
  if (kept.length === 0) return norms.map(() => false);
  const mid = kept.length >> 1;
  const median = kept.length % 2 ? kept[mid]! : (kept[mid - 1]! + kept[mid]!) / 2;
  const threshold = fraction * median;
  return norms.map((n, j) => Boolean(prevZeroed[j]) && n > 0 && n >= threshold);
}
