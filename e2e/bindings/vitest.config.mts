// Real editor bindings against a real pod: `npx vitest run --config e2e/bindings/vitest.config.mts`
// (scripts/test.d/e2e.sh runs it once; it does not depend on a Grafana leg).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dir = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  test: {
    root: dir,
    include: ['test/**/*.e2e.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
