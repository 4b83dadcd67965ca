/**
 * Slurm profiles stored as a workspace setting (`slurmProfiles`: name ->
 * profile), validated with `slurmProfileSchema` on the way in and out, so a
 * profile that was valid when stored and is refused by a newer schema names its
 * field instead of reaching sbatch.
 */
import { ApiError } from '../common/contract/errors.ts';
import { readSettings, writeSettings } from '../core/settings.ts';
import type { Workspace } from '../core/workspace.ts';
import { slurmProfileSchema, type SlurmProfile } from './profile.ts';

const KEY = 'slurmProfiles';

function stored(ws: Workspace): Record<string, unknown> {
  const value = readSettings(ws)[KEY];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Validates a profile; the error names the field as `profile.<field>`. */
export function parseProfile(input: unknown): SlurmProfile {
  const parsed = slurmProfileSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = ['profile', ...(issue?.path ?? []).map(String)].join('.');
  throw new ApiError('invalid_request', `${field}: ${issue?.message ?? 'invalid value'}`, field);
}

export function listProfiles(ws: Workspace): SlurmProfile[] {
  return Object.values(stored(ws))
    .map((p) => slurmProfileSchema.safeParse(p))
    .flatMap((r) => (r.success ? [r.data] : []))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The named profile, or an error naming `runOn.slurm` and the profiles there are. */
export function getProfile(ws: Workspace, name: string): SlurmProfile {
  const raw = stored(ws)[name];
  if (raw === undefined) {
    const known = Object.keys(stored(ws)).sort().join(', ') || 'none yet: add one with `workbench slurm profile set` or on the Settings page';
    throw new ApiError('invalid_request', `There is no Slurm profile "${name}" (profiles: ${known}).`, 'runOn.slurm');
  }
  try {
    return parseProfile(raw);
  } catch (err) {
    throw new ApiError('invalid_request', `The Slurm profile "${name}" is not valid any more: ${(err as Error).message}`, 'runOn.slurm');
  }
}

export function setProfile(ws: Workspace, input: unknown): SlurmProfile {
  const profile = parseProfile(input);
  writeSettings(ws, { [KEY]: { ...stored(ws), [profile.name]: profile } });
  return profile;
}

export function removeProfile(ws: Workspace, name: string): boolean {
  const all = stored(ws);
  if (!(name in all)) return false;
  const { [name]: _removed, ...rest } = all;
  writeSettings(ws, { [KEY]: rest });
  return true;
}
