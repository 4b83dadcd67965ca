/**
 * Configs as dotted paths, and the fields in which several configs differ
 * (the runs list's config diff, a run's "clone config"). Arrays are values
 * of their own (a milestone list differs as a whole); objects are walked.
 */

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf of a config by dotted path ("optimizer.lr"), in key order; an empty object is a leaf. */
export function flattenConfig(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, path: string): void => {
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k);
    } else if (path) {
      out.set(path, v);
    }
  };
  walk(value, prefix);
  return out;
}

/** Structural equality of config values (JSON-like: numbers, strings, booleans, null, arrays, objects). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

export interface ConfigDifference {
  /** Dotted path of the field ("prune.rate"). */
  path: string;
  /** Its value in each config, in the order given; undefined where a config does not have it. */
  values: unknown[];
}

/** The fields in which the configs differ (a field only some configs have counts), sorted by path. */
export function configDiff(configs: readonly unknown[]): ConfigDifference[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  return paths
    .map((path) => ({ path, values: flat.map((f) => f.get(path)) }))
    .filter((d) => d.values.some((v) => !sameValue(v, d.values[0])));
}
