import { defineConfig } from 'vitest/config';

// End-to-end: the real browser host in a child process, driven through Debian's Chromium.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    // The host the tests start never touches the user's own app configuration.
    setupFiles: ['test/helpers/own-app-config.ts'],
    // One browser and one host at a time: the machine has two cores.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
