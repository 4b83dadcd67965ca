import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Job-process and TF.js tests load native and wasm modules: forks isolate them.
    pool: 'forks',
    // Tests never touch the user's own app configuration, nor each other's.
    setupFiles: ['test/helpers/own-app-config.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
