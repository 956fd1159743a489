import { defineConfig } from 'vitest/config';

// Pod tests start real pod processes: node environment, forks, generous
// timeouts, and limited parallelism (2 cores shared with other suites).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
  },
});
