// Shared unit-test config for every plugin: `vitest run --config ../.config/vitest.config.mjs` from a plugin dir.
// Tests are colocated as src/**/*.test.ts(x) and run in jsdom.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const configDir = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: process.cwd(),
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: [path.join(configDir, 'vitest.setup.mjs')],
    testTimeout: 15_000,
    // @grafana/* ship ESM that imports CommonJS packages with named imports: let vite transform them.
    server: { deps: { inline: [/@grafana\//] } },
  },
});
