import os from 'node:os';
import type Database from 'better-sqlite3';
import { defaultResourceLimits, type ResourceLimits, type SettingsMap } from '../common/contract/index.ts';
import type { Workspace } from './workspace.ts';

/** Where datasets usually are: the user's home, Debian's dataset packages, and the usual mount points. */
export const defaultImportRoots = [os.homedir(), '/usr/share/datasets', '/data', '/mnt', '/media'];

export const defaultSettings: SettingsMap = { theme: 'system', backend: 'auto', computeConcurrency: 1, limits: defaultResourceLimits, importRoots: defaultImportRoots };

function storedSettings(db: Database.Database): Record<string, unknown> {
  const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
}

/** Stored limits over the defaults, key by key (a limit added later gets its default). */
function mergeLimits(stored: unknown): ResourceLimits {
  const out: ResourceLimits = { ...defaultResourceLimits };
  if (typeof stored === 'object' && stored !== null) {
    for (const key of Object.keys(out) as (keyof ResourceLimits)[]) {
      const v = (stored as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = v;
    }
  }
  return out;
}

export function readSettings(ws: Workspace): SettingsMap {
  const stored = storedSettings(ws.db);
  return { ...defaultSettings, ...stored, limits: mergeLimits(stored.limits) } as SettingsMap;
}

/** The resource limits, on any connection (a job process reads them on its read-only handle). */
export function readLimits(db: Database.Database): ResourceLimits {
  return mergeLimits(storedSettings(db).limits);
}

export function writeSettings(ws: Workspace, changes: Partial<Omit<SettingsMap, 'limits'>> & { limits?: Partial<ResourceLimits> }): SettingsMap {
  const upsert = ws.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  ws.transaction(() => {
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      // Limits change one by one: setting one keeps the others as they were.
      const stored = key === 'limits' ? { ...readLimits(ws.db), ...(value as Partial<ResourceLimits>) } : value;
      upsert.run(key, JSON.stringify(stored));
    }
  });
  return readSettings(ws);
}
