/**
 * What CollabMonitor costs a Hocuspocus server: the same load against Hocuspocus without and with the
 * extension (each in its own process, alternating, `--rounds` times), server CPU per delivered update.
 * With the extension, `/metrics` is scraped every `--scrape-ms` during the measured window, as a
 * Prometheus would. Target: (CPU per delivery without) / (CPU per delivery with) >= 0.9.
 *
 *   npm run bench -w @collabblocks/hocuspocus -- --rooms 20 --clients 5 --rate 10 --seconds 10
 *
 * The extension's cost is mostly fixed (the default metrics' event-loop lag timer, `--loop-precision-ms`,
 * 10 ms as on the pod; the scrape), so the ratio depends on how busy the server is.
 *
 * A delivery is one update arriving at one other client of its room. Clients are real
 * @hocuspocus/provider instances in this process; the servers' CPU is read from the servers themselves.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';

const { values: args } = parseArgs({
  options: {
    rooms: { type: 'string', default: '10' },
    clients: { type: 'string', default: '4' },
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'scrape-ms': { type: 'string', default: '15000' },
    'loop-precision-ms': { type: 'string', default: '10' },
  },
});
const ROOMS = Number(args.rooms);
const CLIENTS = Number(args.clients);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const SCRAPE_MS = Number(args['scrape-ms']);
const LOOP_PRECISION_MS = String(Number(args['loop-precision-ms']));
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.ts');

interface Running {
  proc: ChildProcess;
  port: number;
}

function startServer(mode: 'with' | 'without'): Promise<Running> {
  const proc = fork(SERVER, [mode, LOOP_PRECISION_MS], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    proc.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready' && typeof m.port === 'number') resolve({ proc, port: m.port });
    });
  });
}

function serverCpuMicros(s: Running): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { type?: string; micros?: number }) => {
      if (m.type !== 'cpu') return;
      s.proc.off('message', on);
      resolve(m.micros ?? 0);
    };
    s.proc.on('message', on);
    s.proc.send({ type: 'cpu' });
  });
}

async function stopServer(s: Running): Promise<void> {
  s.proc.removeAllListeners('exit');
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.send({ type: 'stop' });
  await exited;
}

interface Client {
  doc: Y.Doc;
  /** Characters this client inserted itself (one per tick). */
  own: number;
  destroy(): void;
  synced: Promise<void>;
}

function connect(port: number, room: string): Client {
  const socket = new HocuspocusProviderWebsocket({
    url: `ws://127.0.0.1:${port}`,
    WebSocketPolyfill: WebSocket,
  });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: room, document: doc });
  provider.attach();
  provider.setAwarenessField('user', { name: room });
  const synced = new Promise<void>((r) => provider.on('synced', () => r()));
  return {
    doc,
    own: 0,
    synced,
    destroy: () => {
      provider.destroy();
      socket.destroy();
    },
  };
}

async function run(
  mode: 'with' | 'without'
): Promise<{ cpuMsPerK: number; deliveries: number; cpuMs: number }> {
  const server = await startServer(mode);
  const clients: Client[] = [];
  for (let r = 0; r < ROOMS; r++)
    for (let c = 0; c < CLIENTS; c++) clients.push(connect(server.port, `bench/r${r}`));
  // Deliveries so far: characters each client received from the others (every insert is one character;
  // Hocuspocus merges a turn's updates into one message, so counting messages would undercount).
  const delivered = () => clients.reduce((n, c) => n + c.doc.getText('t').length - c.own, 0);
  await Promise.all(clients.map((c) => c.synced));
  const tick = (): void => {
    for (const c of clients) {
      c.doc.getText('t').insert(0, 'x');
      c.own += 1;
    }
  };
  // Warm-up (JIT, buffers), then the measured window.
  let timer = setInterval(tick, 1000 / RATE);
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 300));
  const cpu0 = await serverCpuMicros(server);
  const d0 = delivered();
  timer = setInterval(tick, 1000 / RATE);
  const scrape =
    mode === 'with'
      ? setInterval(
          () => void fetch(`http://127.0.0.1:${server.port}/metrics`).then((r) => r.text()),
          SCRAPE_MS
        )
      : undefined;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(timer);
  if (scrape) clearInterval(scrape);
  await new Promise((r) => setTimeout(r, 500));
  const cpuMs = ((await serverCpuMicros(server)) - cpu0) / 1000;
  const deliveries = delivered() - d0;
  for (const c of clients) c.destroy();
  await stopServer(server);
  return { cpuMsPerK: (cpuMs / deliveries) * 1000, deliveries, cpuMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

console.log(
  `Hocuspocus ± CollabMonitor: ${ROOMS} rooms × ${CLIENTS} clients, ${RATE} updates/s per client, ` +
    `${SECONDS} s per run, ${ROUNDS} rounds, scrape every ${SCRAPE_MS} ms, event-loop precision ${LOOP_PRECISION_MS} ms; load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
);
const results: Record<'with' | 'without', number[]> = { with: [], without: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
    const r = await run(mode);
    results[mode].push(r.cpuMsPerK);
    console.log(
      `  round ${i + 1} ${mode.padEnd(7)}: ${r.deliveries} deliveries, server CPU ${r.cpuMs.toFixed(0)} ms, ` +
        `${r.cpuMsPerK.toFixed(3)} ms per 1000 deliveries`
    );
  }
}
const without = median(results.without);
const withExt = median(results.with);
const ratio = without / withExt;
console.log(
  `server CPU per 1000 deliveries (median): without ${without.toFixed(3)} ms, with ${withExt.toFixed(3)} ms`
);
console.log(`ratio without/with: ${ratio.toFixed(3)} (target >= 0.9) ${ratio >= 0.9 ? 'OK' : 'MISS'}`);
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);
process.exit(0);
