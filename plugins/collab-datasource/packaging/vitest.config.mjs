// The backend executables' test (packaging/executable.test.ts): Node environment, run from the plugin dir
// by scripts/test.d/backend-executable.sh after `npm run build`. Emulated arm64 start-up is slow: one
// generous bound per test, no retries.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['packaging/**/*.test.ts'],
    testTimeout: 90_000,
  },
});
