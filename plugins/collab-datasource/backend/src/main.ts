/**
 * Entry point of the collab datasource backend (bundled into dist-backend/backend.cjs, packaged as
 * gpx_collab_linux_<arch>): checks it was started by a plugin host, serves gRPC on 127.0.0.1, prints the
 * go-plugin handshake line, and stops on SIGTERM / SIGINT or the host's Shutdown.
 */
import { errorMessage } from '@collabblocks/protocol';

import { handshakeLine, readHandshakeEnv } from './grpc/handshake';
import { Backend } from './grpc/server';
import { log } from './log';

async function main(): Promise<void> {
  let env;
  try {
    env = readHandshakeEnv(process.env);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void backend.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  const backend = new Backend({ onShutdown: stop });
  const port = await backend.listen(env.ports);
  process.stdout.write(handshakeLine(port));
  log('info', 'collab datasource backend serving', { port });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Bad input is answered per request; anything that still escapes is logged, never fatal.
  process.on('uncaughtException', (err) => log('error', 'uncaught exception', { error: errorMessage(err) }));
  process.on('unhandledRejection', (err) =>
    log('error', 'unhandled rejection', { error: errorMessage(err) })
  );
}

void main();
