import { z } from 'zod';
import { call } from './define.ts';

export interface WorkspaceInfo {
  dir: string;
  databasePath: string;
  artifactsDir: string;
  schemaVersion: number;
  appVersion: string;
  counts: { datasets: number; samples: number; jobs: number; models: number; artifacts: number };
  sizeBytes: number;
  /** The workspace the app opens at its next start (Settings can change it). */
  nextStartDir: string;
}

export const workspaceCalls = {
  'workspace.info': call<WorkspaceInfo>()(z.object({}).strict(), 'Where the workspace lives and what it holds.'),
  'workspace.setDefault': call<WorkspaceInfo>()(
    z.object({ dir: z.string().min(1).refine((d) => d.startsWith('/') || /^[A-Za-z]:[\\/]/.test(d), 'must be an absolute folder path') }).strict(),
    'Choose the workspace folder the app opens at its next start.',
  ),
};
