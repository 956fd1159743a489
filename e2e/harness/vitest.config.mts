// Unit tests of the harness itself (proxy emulation, template interpolation): Node only, no browser.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: path.dirname(fileURLToPath(import.meta.url)),
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
