/**
 * In-process pod for tests that need to observe hooks or inject storage
 * (the `createServer` seam), on 127.0.0.1 with an ephemeral port and a temp
 * data dir. Prefer `startPod()` (a real process) for end-to-end behaviour.
 *
 *   const pod = await startInProcess({ env: { COLLAB_PING_INTERVAL_MS: '100' }, extensions: [rec] });
 *   pod.server.rooms.get('acme/doc');   // Room: doc, awareness, connections
 *   await pod.close();                  // graceful close + temp dir removal
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { createServer, type CollabServer, type ServerDeps } from '../../src/server.js';
import { TEST_API_KEYS_ENV, TEST_JWT_SECRET } from './jwt.js';

export interface InProcessPod {
  server: CollabServer;
  config: Config;
  port: number;
  httpUrl: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startInProcess(
  opts: { env?: Record<string, string | undefined> } & ServerDeps = {}
): Promise<InProcessPod> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collab-inproc-'));
  const env: Record<string, string | undefined> = {
    HOST: '127.0.0.1',
    PORT: '0',
    COLLAB_POD_NAME: 'inproc',
    COLLAB_DATA_DIR: dataDir,
    COLLAB_JWT_SECRET: TEST_JWT_SECRET,
    COLLAB_API_KEYS: TEST_API_KEYS_ENV,
    ...(opts.env ?? {}),
  };
  const config = loadConfig(env);
  const { env: _env, ...deps } = opts;
  const server = createServer(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...deps,
  });
  const { port } = await server.listen();
  return {
    server,
    config,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
