/**
 * Load-generator process of the benchmark (forked by `bench/main.ts`). Runs a
 * share of the clients: stock y-websocket `WebsocketProvider`s, each with its
 * own Y.Doc. In a phase every client writes `{ p: phase, t: send time }` into
 * its slot of the room's `bench` Y.Map at a fixed rate; every peer that
 * receives the update records `receive time − t` (same machine, same clock).
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { TokenMinter } from '../src/sim/tokens.js';
import { LatencyHistogram } from './histogram.js';
import {
  isDriverMessage,
  type BenchClientSpec,
  type InitMessage,
  type PhaseMessage,
  type WorkerMessage,
} from './protocol.js';
import { errorMessage } from '@collabblocks/protocol';

type ProviderOptions = NonNullable<ConstructorParameters<typeof WebsocketProvider>[3]>;
const WebSocketPolyfill = WebSocket as unknown as NonNullable<ProviderOptions['WebSocketPolyfill']>;

const now = (): number => performance.timeOrigin + performance.now();

interface Client {
  spec: BenchClientSpec;
  doc: Y.Doc;
  map: Y.Map<unknown>;
  provider: WebsocketProvider;
  awareness: Awareness;
  next: number;
}

interface PhaseState {
  id: number;
  received: number;
  histogram: LatencyHistogram;
  closes: Map<number, number>;
}

let clients: Client[] = [];
let phase: PhaseState | null = null;

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

function isSample(v: unknown): v is { p: number; t: number } {
  return typeof v === 'object' && v !== null && typeof (v as { p?: unknown }).p === 'number';
}

async function init(msg: InitMessage): Promise<void> {
  const t0 = Date.now();
  const minter = msg.secret ? new TokenMinter({ secret: msg.secret, ttlSeconds: 3600 }) : null;
  process.setMaxListeners(msg.clients.length + 20);
  for (const spec of msg.clients) {
    const params: Record<string, string> = minter
      ? {
          token: (
            await minter.mint({ sub: `bench-${spec.roomId}-${spec.slot}`, org: spec.org, name: 'Bench' })
          ).token,
        }
      : {};
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const map = doc.getMap<unknown>('bench');
    const provider = new WebsocketProvider(msg.url, spec.roomId, doc, {
      awareness,
      params,
      WebSocketPolyfill,
      disableBc: true,
      maxBackoffTime: 1000,
      shouldReconnect: () => true,
    });
    provider.on('connection-close', (ev) => {
      if (ev && phase) phase.closes.set(ev.code, (phase.closes.get(ev.code) ?? 0) + 1);
    });
    map.observe((ev, tr) => {
      if (tr.local || !phase) return;
      const t = now();
      for (const key of ev.keysChanged) {
        const v = map.get(key);
        if (isSample(v) && v.p === phase.id) {
          phase.received++;
          phase.histogram.record(t - v.t);
        }
      }
    });
    clients.push({ spec, doc, map, provider, awareness, next: 0 });
    // Gentle connect ramp.
    if (clients.length % 20 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = Date.now() + 30_000;
  while (!clients.every((c) => c.provider.synced)) {
    if (Date.now() > deadline) {
      const n = clients.filter((c) => c.provider.synced).length;
      throw new Error(`only ${n}/${clients.length} clients synced within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  send({ type: 'ready', connected: clients.length, connectMs: Date.now() - t0 });
}

async function runPhase(msg: PhaseMessage): Promise<void> {
  const state: PhaseState = { id: msg.id, received: 0, histogram: new LatencyHistogram(), closes: new Map() };
  phase = state;
  const interval = 1000 / msg.ratePerClient;
  const start = now();
  const end = start + msg.durationMs;
  for (const c of clients) c.next = start + Math.random() * interval;
  const sentByRoom: Record<string, number> = {};
  let skipped = 0;
  let maxLag = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = now();
      if (t >= end) {
        resolve();
        return;
      }
      for (const c of clients) {
        if (c.next > t || c.next >= end) continue;
        const lag = t - c.next;
        if (lag > maxLag) maxLag = lag;
        // Fixed offered rate: a late loop does not send a burst to catch up.
        c.next = Math.max(c.next + interval, t);
        if (!c.provider.wsconnected) {
          skipped++;
          continue;
        }
        c.map.set(`c${c.spec.slot}`, { p: msg.id, t: now() });
        sentByRoom[c.spec.roomId] = (sentByRoom[c.spec.roomId] ?? 0) + 1;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, msg.drainMs));
  phase = null;
  const closes: Record<string, number> = {};
  for (const [code, n] of state.closes) closes[String(code)] = n;
  send({
    type: 'result',
    id: msg.id,
    sentByRoom,
    received: state.received,
    histogram: state.histogram.toJSON(),
    closes,
    skipped,
    maxSendLagMs: Math.round(maxLag),
  });
}

function stop(): void {
  for (const c of clients) {
    c.provider.destroy();
    c.awareness.destroy();
    c.doc.destroy();
  }
  clients = [];
  setTimeout(() => process.exit(0), 200);
}

process.on('message', (raw: unknown) => {
  if (!isDriverMessage(raw)) return;
  const fail = (err: unknown): void => send({ type: 'error', message: errorMessage(err) });
  switch (raw.type) {
    case 'init':
      init(raw).catch(fail);
      break;
    case 'phase':
      runPhase(raw).catch(fail);
      break;
    case 'stop':
      stop();
      break;
  }
});
process.on('disconnect', () => stop());
