import os from 'node:os';
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Job-process and TF.js tests load native and wasm modules: forks isolate them.
    pool: 'forks',
    // One file per core. Vitest's default (cores - 1) runs the files one at a time on a 2-core
    // machine, while many of them mostly wait: on a Slurm job, a job process or a child host.
    // Two at a time took the unit files from 803-908 s to 516 s on 2 cores.
    maxWorkers: Math.max(2, os.availableParallelism()),
    // Tests never touch the user's own app configuration, nor each other's.
    setupFiles: ['test/helpers/own-app-config.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
