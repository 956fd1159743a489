// Every test of the datasource in one vitest run: the browser side (jsdom, the plugins' shared config) and the
// backend (Node, real pods). One run means one exit code and one JSON report that CI counts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { extends: '../.config/vitest.config.mjs', test: { name: 'frontend' } },
      { extends: './backend/vitest.config.mjs', root: './backend', test: { name: 'backend' } },
    ],
  },
});
