// E2E suite: `HARNESS_LEG=grafana-13 npx vitest run --config e2e/vitest.config.ts` (scripts/test.d/e2e.sh runs
// both legs). One browser per run (global setup), one page per test file, files run one after another.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const e2eDir = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  test: {
    root: e2eDir,
    include: ['tests/**/*.e2e.test.ts'],
    globalSetup: [path.join(e2eDir, 'harness/src/vitest/globalSetup.ts')],
    fileParallelism: false,
    // One worker imports the harness (playwright-core) once for every file; each file still gets its own page.
    isolate: false,
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
