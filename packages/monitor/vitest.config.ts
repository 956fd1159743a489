import { defineConfig } from 'vitest/config';

// Unit tests of the host-agnostic inspect library (pure logic, fake hosts; no servers).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
