import type { SettingsMap } from '../common/contract/index.ts';
import type { Workspace } from './workspace.ts';

export const defaultSettings: SettingsMap = { theme: 'system', backend: 'auto', computeConcurrency: 1 };

export function readSettings(ws: Workspace): SettingsMap {
  const rows = ws.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  return { ...defaultSettings, ...stored } as SettingsMap;
}

export function writeSettings(ws: Workspace, changes: Partial<SettingsMap>): SettingsMap {
  const upsert = ws.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  ws.transaction(() => {
    for (const [key, value] of Object.entries(changes)) if (value !== undefined) upsert.run(key, JSON.stringify(value));
  });
  return readSettings(ws);
}
