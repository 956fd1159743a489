/**
 * An inspect bridge in the test process, without a collab pod: an HTTP server
 * on 127.0.0.1 (ephemeral port) whose upgrades go to the monitor's
 * `InspectBridge` over a test `MonitorHost`: an in-memory `Storage` that counts
 * calls (and can be slowed down), and a room registry the test fills with its
 * own `Y.Doc` + `Awareness`. Hooks are driven
 * by calling `bridge.extension.onUpdate(...)` etc. directly. For behaviour the
 * way a pod does it, prefer `startPod()` (test/inspect.pod.test.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { InspectScope } from '@collabblocks/protocol';
import {
  InspectBridge,
  mintInspectToken,
  type HostRoom,
  type InspectBridgeOptions,
  type MonitorHost,
} from '@collabblocks/monitor';
import type {
  HistoryQuery,
  LoadedRoom,
  NewUpdate,
  RoomStorageStats,
  Snapshot,
  Storage,
  StoredUpdate,
} from '../src/storage/types.js';
import type { ConnectionInfo } from '../src/hooks/index.js';
import { InspectClient } from './inspect.client.js';

const HARNESS_SECRET = new Uint8Array(Buffer.from('inspect-harness-secret-0123456789abcdef'));

/** In-memory storage: a log and snapshots per room; counts calls; optional delay per call. */
export class MemoryStorage implements Storage {
  readonly kind = 'sqlite' as const;
  readonly logs = new Map<string, StoredUpdate[]>();
  readonly snapshots = new Map<string, Snapshot[]>();
  readonly calls: Record<string, number> = {};
  /** Storage calls running right now / at most at once. */
  inFlight = 0;
  peakInFlight = 0;
  delayMs = 0;

  private async call<T>(name: string, fn: () => T): Promise<T> {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      return fn();
    } finally {
      this.inFlight--;
    }
  }

  private log(room: string): StoredUpdate[] {
    let l = this.logs.get(room);
    if (!l) {
      l = [];
      this.logs.set(room, l);
    }
    return l;
  }

  /** Appends synchronously (test setup). */
  add(room: string, u: NewUpdate): number {
    const l = this.log(room);
    const seq = l.length + 1;
    l.push({ ...u, seq });
    return seq;
  }

  async init(): Promise<void> {}
  append(room: string, updates: NewUpdate[]): Promise<number[]> {
    return this.call('append', () => updates.map((u) => this.add(room, u)));
  }
  load(room: string): Promise<LoadedRoom> {
    return this.call('load', () => ({ snapshot: null, updates: [...this.log(room)] }));
  }
  saveSnapshot(room: string, snapshot: Snapshot): Promise<void> {
    return this.call('saveSnapshot', () => {
      const list = this.snapshots.get(room) ?? [];
      list.push(snapshot);
      this.snapshots.set(room, list);
    });
  }
  readRange(q: HistoryQuery): Promise<StoredUpdate[]> {
    return this.call('readRange', () =>
      this.log(q.room)
        .filter((u) => u.ts >= q.fromTs && u.ts <= q.toTs)
        .slice(0, q.limit)
    );
  }
  readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]> {
    return this.call('readAfter', () =>
      this.log(room)
        .filter((u) => u.seq > afterSeq)
        .slice(0, limit)
    );
  }
  snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null> {
    return this.call('snapshotAtOrBefore', () => {
      const ok = (this.snapshots.get(room) ?? []).filter((s) => s.ts <= ts);
      return ok[ok.length - 1] ?? null;
    });
  }
  async prune(): Promise<number> {
    return 0;
  }
  stats(): Promise<RoomStorageStats[]> {
    return this.call('stats', () =>
      [...this.logs].map(([room, log]) => ({
        room,
        org: room.split('/')[0] as string,
        bytes: log.reduce((n, u) => n + u.update.byteLength, 0),
        ops: log.length,
        lastSeq: log.length,
        lastTs: log[log.length - 1]?.ts ?? 0,
      }))
    );
  }
  async close(): Promise<void> {}
}

/** A loaded room for the bridge: a doc, its awareness and "local connections". */
export class FakeRoom implements HostRoom {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  readonly connections = new Map<{ readonly info: ConnectionInfo }, Set<number>>();
  constructor() {
    // The pod's own awareness state is never set (as on a real pod).
    this.awareness.setLocalState(null);
  }
  /** A local connection controlling these awareness client ids. */
  connect(info: Partial<ConnectionInfo> & { id: string }, clientIds: number[]): ConnectionInfo {
    const full: ConnectionInfo = {
      room: 'x/x',
      org: 'acme',
      userPseudonym: `u_${info.id}`,
      connectedAt: Date.now(),
      ...info,
    };
    this.connections.set({ info: full }, new Set(clientIds));
    return full;
  }
  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

export interface Harness {
  bridge: InspectBridge;
  storage: MemoryStorage;
  rooms: Map<string, FakeRoom>;
  wsUrl: string;
  /** An inspect token of org `acme` (5 minutes). */
  token(scope?: InspectScope): Promise<string>;
  /** Opens an inspect socket and authenticates it. */
  inspector(scope?: InspectScope): Promise<InspectClient>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<Omit<InspectBridgeOptions, 'host'>> = {}): Promise<Harness> {
  const storage = new MemoryStorage();
  const rooms = new Map<string, FakeRoom>();
  // Room events are not observed: tests drive `bridge.extension` themselves.
  const host: MonitorHost = {
    name: 'harness',
    secret: HARNESS_SECRET,
    room: (name) => rooms.get(name),
    rooms: () => [],
    observe: () => () => {},
    history: storage,
    logger: pino({ level: 'silent' }),
  };
  const bridge = new InspectBridge({ host, ...opts });
  const server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', (req, socket, head) => bridge.handleUpgrade(req, socket, head as Buffer));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const wsUrl = `ws://127.0.0.1:${port}`;
  const clients: InspectClient[] = [];
  const token = async (scope: InspectScope = 'content'): Promise<string> =>
    (await mintInspectToken(HARNESS_SECRET, 'acme', scope, 300)).token;
  return {
    bridge,
    storage,
    rooms,
    wsUrl,
    token,
    async inspector(scope: InspectScope = 'content') {
      const c = await InspectClient.open(wsUrl);
      clients.push(c);
      const m = await c.auth(await token(scope));
      if (m.type !== 'authenticated') throw new Error(`auth failed: ${JSON.stringify(m)}`);
      return c;
    },
    async close() {
      for (const c of clients) c.ws.terminate();
      await bridge.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      for (const r of rooms.values()) r.destroy();
    },
  };
}
