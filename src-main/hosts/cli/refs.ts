/**
 * Numbers and references on the command line: one place that parses an id
 * and, where a command takes a dataset or a model, accepts its name as well
 * (when exactly one has that name), so `--dataset fashion-mnist` works like
 * `--dataset 3`.
 */
import type { CliRuntime } from './cli-types.ts';
import { CliError } from './cli-errors.ts';

/** A positive integer, or a refusal naming the option. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer, not "${value}".`);
  return n;
}

/** An optional positive integer: absent stays absent (the contract says whether it is required). */
export function optionalPositiveInt(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : positiveInt(flag, value);
}

/** Resolves an id or a unique name among `items`; exact names first, then ignoring case. */
function byIdOrName(flag: string, what: string, value: string, items: { id: number; name: string }[]): number {
  if (/^\s*\d+\s*$/.test(value)) return positiveInt(flag, value);
  const exact = items.filter((i) => i.name === value);
  const found = exact.length ? exact : items.filter((i) => i.name.toLowerCase() === value.toLowerCase());
  if (found.length === 1) return found[0]!.id;
  if (found.length > 1) throw new CliError(`${flag}: ${found.length} ${what}s are named "${value}" (ids ${found.map((i) => i.id).join(', ')}); give the id.`);
  const known = items.slice(0, 12).map((i) => `${i.name} (${i.id})`).join(', ');
  throw new CliError(`${flag}: no ${what} named "${value}"${items.length ? `; the workspace has ${known}${items.length > 12 ? ', ...' : ''}` : '; the workspace has none yet'}.`);
}

/** A dataset by id or by its unique name. */
export async function datasetRef(rt: Pick<CliRuntime, 'call'>, flag: string, value: string): Promise<number> {
  if (/^\s*\d+\s*$/.test(value)) return positiveInt(flag, value);
  return byIdOrName(flag, 'dataset', value, await rt.call('datasets.list', {}));
}

/** A workspace model by id or by its unique name. */
export async function modelRef(rt: Pick<CliRuntime, 'call'>, flag: string, value: string): Promise<number> {
  if (/^\s*\d+\s*$/.test(value)) return positiveInt(flag, value);
  return byIdOrName(flag, 'model', value, await rt.call('models.list', {}));
}
