/**
 * The bench's server process: a Hocuspocus server on 127.0.0.1 with or without CollabMonitor (metrics
 * and inspect on, no inspect subscriber)
 * (`node --import tsx bench/server.ts with|without`). Tells its parent the port; answers `cpu`
 * with its own CPU time (user + system, microseconds) so the parent measures server CPU only.
 */
import { Server } from '@hocuspocus/server';
import { CollabMonitor } from '../src/index.js';

const mode = process.argv[2];
if (mode !== 'with' && mode !== 'without') throw new Error('usage: server.ts with|without [precisionMs]');
/** Event-loop lag resolution of the default metrics (the extension's main fixed cost), ms. */
const precision = Number(process.argv[3] ?? 10);

const server = new Server({
  address: '127.0.0.1',
  port: 0,
  quiet: true,
  stopOnSignals: false,
  extensions:
    mode === 'with'
      ? [
          new CollabMonitor({
            instance: 'bench',
            metrics: { eventLoopMonitoringPrecision: precision },
            // Inspect on (as deployed), nobody watching: the per-update bookkeeping a quiet bridge costs.
            secret: 'bench-inspect-secret-0123456789abcdef-0123456789',
          }),
        ]
      : [],
});
await server.listen();
process.send?.({ type: 'ready', port: server.address.port });
process.on('message', (m: { type?: string }) => {
  if (m.type === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: u.user + u.system });
  } else if (m.type === 'stop') {
    void server.destroy().then(() => process.exit(0));
  }
});
