/**
 * Runs before every test file (vitest `setupFiles`): each file gets its own app
 * configuration path, in its own fork's name, so files running side by side
 * never read each other's settings (import roots, Slurm profiles, the next
 * workspace) and never touch the user's own configuration. Job processes and
 * hosts the file starts inherit it through the environment.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const configPath = path.join(os.tmpdir(), `workbench-test-config-${process.pid}.json`);
process.env.WORKBENCH_CONFIG = configPath;

afterAll(() => {
  rmSync(configPath, { force: true });
});
