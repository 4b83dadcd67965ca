import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Per-user app configuration that lives outside any workspace: which workspace
 * to open by default. (Everything else is stored in the workspace itself.)
 */
export interface AppConfig {
  workspaceDir?: string;
}

export function appConfigPath(): string {
  if (process.env.WORKBENCH_CONFIG) return path.resolve(process.env.WORKBENCH_CONFIG);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Workbench', 'config.json');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Workbench', 'config.json');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'workbench', 'config.json');
}

export function readAppConfig(): AppConfig {
  const file = appConfigPath();
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AppConfig;
  } catch {
    // A damaged config only loses the preference; the default workspace still opens.
    return {};
  }
}

export function writeAppConfig(change: AppConfig): AppConfig {
  const file = appConfigPath();
  const next = { ...readAppConfig(), ...change };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file + '.tmp', JSON.stringify(next, null, 2));
  renameSync(file + '.tmp', file);
  return next;
}
