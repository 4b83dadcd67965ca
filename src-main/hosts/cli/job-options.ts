/**
 * The options every job command shares: where the job runs (`--on`) and, for
 * `train`, a sweep (`--sweep field=v1,v2,...`). One helper, so every command
 * spells and checks them the same way.
 */
import type { JobSummary, RunOn } from '../../common/contract/index.ts';
import type { CliRuntime } from './cli-types.ts';
import { CliError } from './cli-errors.ts';
import { pct } from './format.ts';

/**
 * `--on` as the contract's runOn. "slurm" without a name takes the only
 * profile there is; with several, the user must name one.
 */
export async function resolveOn(rt: Pick<CliRuntime, 'call'>, value: string | undefined): Promise<RunOn | undefined> {
  if (value === undefined || value === 'local') return value;
  const m = /^slurm(?::(.+))?$/.exec(value);
  if (!m) throw new CliError(`--on: "${value}" is not a place to run; use local, slurm or slurm:<profile>.`);
  if (m[1]) return { slurm: m[1] };
  const profiles = await rt.call('slurm.profiles.list', {});
  if (profiles.length === 1) return { slurm: profiles[0]!.name };
  throw new CliError(
    profiles.length === 0
      ? '--on slurm: there is no Slurm profile yet; add one with `workbench slurm profile set <name> --partition ... --time ...`.'
      : `--on slurm: there are several Slurm profiles (${profiles.map((p) => p.name).join(', ')}); name one as --on slurm:<profile>.`,
  );
}

/**
 * `--sweep 'prune.rate=0.1,0.2,0.3'`: the field (a dotted path into the
 * config) and its values, each read as JSON when it is JSON (numbers, true,
 * quoted strings) and as a string otherwise.
 */
export function parseSweep(text: string): { field: string; values: unknown[] } {
  const eq = text.indexOf('=');
  const field = eq > 0 ? text.slice(0, eq).trim() : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(field)) {
    throw new CliError(`--sweep: "${text}" must be field=value1,value2,... with a dotted field such as prune.rate.`);
  }
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0)
    .map((v) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    });
  if (values.length === 0) throw new CliError(`--sweep: "${text}" lists no values after "=".`);
  return { field, values };
}

/** The help of `--on`, for commands that list their options one by one. */
export const ON_HELP = 'where the job runs: local (default), slurm (the only Slurm profile) or slurm:<profile>';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Waits until every member of a sweep has ended, a progress line on stderr whenever it changes; the members in id order. */
export async function followSweep(rt: Pick<CliRuntime, 'call' | 'info'>, sweepId: string, queued: JobSummary[]): Promise<JobSummary[]> {
  let jobs = queued;
  let last = '';
  while (jobs.some((j) => !FINAL.has(j.status))) {
    await new Promise((r) => setTimeout(r, 1000));
    jobs = (await rt.call('jobs.list', { sweepId })).sort((a, b) => a.id - b.id);
    const line = jobs.map((j) => `${j.id} ${j.status}${j.progress?.fraction != null ? ` ${pct(j.progress.fraction, 0)}` : ''}`).join(', ');
    if (line !== last) rt.info(`  ${line}`);
    last = line;
  }
  return jobs;
}
