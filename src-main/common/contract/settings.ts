import { z } from 'zod';
import { call } from './define.ts';
import { backendRequestSchema, type BackendRequestName } from './engine.ts';

/** Workspace settings (stored in its database, so they travel with the workspace). */
export interface SettingsMap {
  theme: 'system' | 'light' | 'dark';
  backend: BackendRequestName;
  computeConcurrency: number;
  [key: string]: unknown;
}

export const settingsCalls = {
  'settings.get': call<SettingsMap>()(z.object({}).strict(), 'All settings with their defaults filled in.'),
  'settings.set': call<SettingsMap>()(
    z
      .object({
        theme: z.enum(['system', 'light', 'dark']).optional(),
        backend: backendRequestSchema.optional(),
        computeConcurrency: z.number().int().min(1).max(8).optional(),
      })
      .strict(),
    'Change settings; returns them all.',
  ),
};
