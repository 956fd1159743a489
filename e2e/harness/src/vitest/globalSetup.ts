// Vitest global setup for the E2E suite: builds the leg's host bundle if missing and starts ONE chromium
// browser server for the whole run; test files connect to it through HARNESS_BROWSER_WS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { BROWSER_WS_ENV, launchBrowserServer } from '../browser.js';
import { assertLeg, HARNESS_DIR, hostBundleDir } from '../server/paths.js';

export default async function setup(): Promise<() => Promise<void>> {
  const leg = assertLeg(process.env.HARNESS_LEG ?? 'grafana-12');
  process.env.HARNESS_LEG = leg;
  if (!fs.existsSync(path.join(hostBundleDir(leg), 'host.js'))) {
    execFileSync(process.execPath, [path.join(HARNESS_DIR, 'scripts', 'build-host.mjs'), leg], {
      stdio: 'inherit',
    });
  }
  const server = await launchBrowserServer();
  process.env[BROWSER_WS_ENV] = server.wsEndpoint();
  return async () => {
    await server.close();
  };
}
