import { defineConfig } from 'vitest/config';

// Real Hocuspocus servers and real collab pods on 127.0.0.1: node environment, forks,
// limited parallelism (2 cores shared with other suites).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
  },
});
