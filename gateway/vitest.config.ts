import { defineConfig } from 'vitest/config';

// Gateway tests: unit tests of signing and PromQL enforcement, and tests against a real Prometheus
// (Debian's) and real HTTP servers on 127.0.0.1.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
