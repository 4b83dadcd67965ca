import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import os from 'node:os';
import path from 'node:path';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Job-process and TF.js tests load native and wasm modules: forks isolate them.
    pool: 'forks',
    // Tests never touch the user's own app configuration.
    env: { WORKBENCH_CONFIG: path.join(os.tmpdir(), `workbench-test-config-${process.pid}.json`) },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
