/**
 * The `createServer` seam in process: extension hooks fire at the right
 * places, a throwing extension is isolated, frames are tapped only on demand,
 * rooms load once under concurrent first connects and unload when idle,
 * remote updates are applied without persisting, and a failed storage write
 * closes the writer with 4503 without broadcasting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import type { CollabExtension } from '../src/hooks/index.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { NewUpdate } from '../src/storage/types.js';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { startInProcess, type InProcessPod } from './helpers/inproc.js';
import { mintToken } from './helpers/jwt.js';

type Ev = { hook: string; ev: Record<string, unknown> };

function recorder(): {
  ext: CollabExtension;
  events: Ev[];
  of: (hook: string) => Array<Record<string, unknown>>;
} {
  const events: Ev[] = [];
  const hooks = [
    'onConnect',
    'onReject',
    'onDisconnect',
    'onMessage',
    'onUpdate',
    'onAwareness',
    'onPersist',
    'onCompaction',
    'onRoomLoaded',
    'onRoomUnloaded',
    'onRtt',
    'onError',
  ] as const;
  const ext: Record<string, unknown> = { name: 'recorder' };
  for (const h of hooks) ext[h] = (ev: Record<string, unknown>) => events.push({ hook: h, ev });
  return {
    ext: ext as unknown as CollabExtension,
    events,
    of: (hook) => events.filter((e) => e.hook === hook).map((e) => e.ev),
  };
}

const pods: InProcessPod[] = [];
const clients: StockClient[] = [];
afterEach(async () => {
  while (clients.length > 0) clients.pop()!.destroy();
  while (pods.length > 0) await pods.pop()!.close();
});
async function pod(opts: Parameters<typeof startInProcess>[0]): Promise<InProcessPod> {
  const p = await startInProcess(opts);
  pods.push(p);
  return p;
}
function client(p: InProcessPod, room: string, token: string, opts = {}): StockClient {
  const c = connectClient(p.wsUrl, room, token, opts);
  clients.push(c);
  return c;
}

describe('extension hooks', () => {
  it('fires connect/message/update/persist/awareness/rtt/compaction/load/unload/disconnect', async () => {
    const rec = recorder();
    const thrower: CollabExtension = {
      name: 'thrower',
      onConnect: () => {
        throw new Error('boom');
      },
      onUpdate: () => {
        throw new Error('boom');
      },
    };
    const p = await pod({
      env: {
        // Client and pod share this process's event loop: keep pings relaxed on a loaded machine.
        COLLAB_PING_INTERVAL_MS: '300',
        COLLAB_COMPACT_OPS: '5',
        // Only the ops trigger compacts while the test runs (however slow the machine is).
        COLLAB_COMPACT_INTERVAL_MS: '600000',
        COLLAB_ROOM_IDLE_MS: '200',
      },
      extensions: [thrower, rec.ext],
    });
    const a = client(p, 'acme/hooks', await mintToken({ org: 'acme', sub: 'alice', name: 'Alice A' }), {
      awareness: { cursor: 1 },
    });
    const b = client(p, 'acme/hooks', await mintToken({ org: 'acme', sub: 'bob' }));
    await Promise.all([a.synced, b.synced]);
    for (let i = 0; i < 6; i++) a.doc.getText('t').insert(0, `${i}`);
    await waitFor(() => b.doc.getText('t').length === 6, 5000, 'b converges');
    await waitFor(() => rec.of('onRtt').length >= 2, 10_000, 'rtt samples');
    await waitFor(() => rec.of('onCompaction').length >= 1, 5000, 'compaction');

    const connects = rec.of('onConnect');
    expect(connects).toHaveLength(2);
    const [ca, cb] = connects as Array<{
      userPseudonym: string;
      displayName?: string;
      org: string;
      room: string;
    }>;
    expect(ca!.userPseudonym).toMatch(/^u_[A-Za-z0-9_-]{10}$/);
    expect(ca!.userPseudonym).not.toBe(cb!.userPseudonym);
    expect(ca!.displayName).toBe('Alice A');
    expect(ca).toMatchObject({ org: 'acme', room: 'acme/hooks' });

    const updates = rec.of('onUpdate') as Array<{
      seq: number;
      origin: string;
      connId: string;
      clientId: number;
    }>;
    expect(updates.length).toBe(6);
    expect(updates.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(updates.every((u) => u.origin === 'client' && u.clientId === a.doc.clientID)).toBe(true);
    const persists = rec.of('onPersist') as Array<{ backend: string; orgs: string[]; count: number }>;
    expect(persists.length).toBe(6);
    expect(persists[0]).toMatchObject({ backend: 'sqlite', orgs: ['acme'], count: 1 });
    const kinds = new Set(rec.of('onMessage').map((m) => m.kind));
    expect(kinds).toContain('sync-step1');
    expect(kinds).toContain('sync-update');
    expect(kinds).toContain('awareness');
    expect(rec.of('onAwareness').some((e) => (e.added as number[]).includes(a.doc.clientID))).toBe(true);
    expect(rec.of('onRoomLoaded')).toHaveLength(1);
    const rtt = rec.of('onRtt')[0] as { rttMs: number; org: string };
    expect(rtt.org).toBe('acme');
    expect(rtt.rttMs).toBeGreaterThanOrEqual(0);
    expect(rtt.rttMs).toBeLessThan(10_000);
    expect((rec.of('onCompaction')[0] as { seq: number }).seq).toBeGreaterThanOrEqual(5);

    // Runtime view used by metrics and /api/rooms.
    const stats = p.server.podView.rooms().find((r) => r.room === 'acme/hooks')!;
    // Both clients have an awareness state: b's initial empty one too, which the pod accepts from its
    // owner at once (clock 0; presence integrity, issue 16) where stock y-protocols would wait for clock 1.
    expect(stats).toMatchObject({ org: 'acme', connections: 2, ops: 6, pendingDurable: 0, presence: 2 });

    a.destroy();
    b.destroy();
    await waitFor(() => rec.of('onDisconnect').length === 2, 5000, 'disconnects');
    await waitFor(() => rec.of('onRoomUnloaded').length === 1, 5000, 'idle unload');
    expect(p.server.rooms.get('acme/hooks')).toBeUndefined();
    // The unload compacted everything: the latest snapshot covers seq 6.
    const loaded = await p.server.storage.load('acme/hooks');
    expect(loaded.snapshot?.seq).toBe(6);
    expect(loaded.updates).toEqual([]);
  });

  it('taps frames only for rooms an extension asks for', async () => {
    const frames: Array<{ room: string; direction: string; kind: string }> = [];
    const p = await pod({
      extensions: [
        {
          name: 'tap',
          wantsFrames: (room) => room === 'acme/tapped',
          onFrame: (ev) => frames.push({ room: ev.room, direction: ev.direction, kind: ev.kind }),
        },
      ],
    });
    const token = await mintToken({ org: 'acme' });
    const t = client(p, 'acme/tapped', token);
    const u = client(p, 'acme/untapped', token);
    await Promise.all([t.synced, u.synced]);
    t.doc.getText('t').insert(0, 'x');
    u.doc.getText('t').insert(0, 'y');
    await waitFor(() => frames.some((f) => f.direction === 'in' && f.kind === 'sync-update'), 5000, 'tap');
    await sleep(100);
    expect(frames.every((f) => f.room === 'acme/tapped')).toBe(true);
    expect(frames.some((f) => f.direction === 'out' && f.kind === 'sync-step1')).toBe(true);
  });

  it('concurrent first connects load a room once', async () => {
    const rec = recorder();
    const p = await pod({ extensions: [rec.ext] });
    const token = await mintToken({ org: 'acme' });
    const many = Array.from({ length: 12 }, () => client(p, 'acme/herd', token));
    await Promise.all(many.map((c) => c.synced));
    expect(rec.of('onRoomLoaded')).toHaveLength(1);
    expect(p.server.rooms.get('acme/herd')?.connections.size).toBe(12);
  });

  it('onRoomLoaded fires once the room can be looked up', async () => {
    const seen: Array<{ room: string; found: boolean; seq: number | undefined }> = [];
    const host: { server?: InProcessPod['server'] } = {};
    const probe: CollabExtension = {
      name: 'probe',
      onRoomLoaded: (ev) => {
        const room = host.server?.rooms.get(ev.room);
        seen.push({ room: ev.room, found: room !== undefined, seq: room?.seq });
      },
    };
    const p = await pod({ extensions: [probe] });
    host.server = p.server;
    const c = client(p, 'acme/visible', await mintToken({ org: 'acme' }));
    await c.synced;
    expect(seen).toEqual([{ room: 'acme/visible', found: true, seq: 0 }]);
  });

  it('applyRemoteUpdate broadcasts to local clients without persisting', async () => {
    const rec = recorder();
    const p = await pod({ extensions: [rec.ext] });
    const c = client(p, 'acme/remote', await mintToken({ org: 'acme' }));
    await c.synced;
    const room = p.server.rooms.get('acme/remote')!;
    const other = new Y.Doc();
    other.getMap('m').set('from', 'another pod');
    expect(room.applyRemoteUpdate(Y.encodeStateAsUpdate(other))).toBe(true);
    await waitFor(() => c.doc.getMap('m').get('from') === 'another pod', 5000, 'remote update');
    expect(room.doc.getMap('m').get('from')).toBe('another pod');
    expect(rec.of('onUpdate').at(-1)).toMatchObject({ origin: 'remote', room: 'acme/remote' });
    expect(rec.of('onPersist')).toHaveLength(0);
    expect(await p.server.storage.readAfter('acme/remote', 0, 10)).toEqual([]);
    expect(room.applyRemoteUpdate(new Uint8Array([1, 2, 3]))).toBe(false);
  });
});

class FlakyStorage extends SqliteStorage {
  failing = false;
  override append(room: string, updates: NewUpdate[]): Promise<number[]> {
    if (this.failing) return Promise.reject(new Error('disk on fire'));
    return super.append(room, updates);
  }
}

describe('storage failure', () => {
  it('closes the writer with 4503, does not apply or broadcast, and recovers', async () => {
    const rec = recorder();
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const storage = new FlakyStorage({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'collab-flaky-')) });
    const p = await pod({ storage, extensions: [rec.ext] });
    const token = await mintToken({ org: 'acme' });
    const writer = client(p, 'acme/flaky', token);
    const reader = client(p, 'acme/flaky', token);
    await Promise.all([writer.synced, reader.synced]);
    writer.doc.getText('t').insert(0, 'durable ');
    await waitFor(() => reader.doc.getText('t').toString() === 'durable ', 5000, 'first write');

    storage.failing = true;
    writer.doc.getText('t').insert(8, 'lost');
    await waitFor(() => writer.closes.length > 0, 5000, 'writer closed');
    expect(writer.closes[0]).toEqual({ code: CloseCode.STORAGE_UNAVAILABLE, reason: 'storage unavailable' });
    await sleep(100);
    expect(reader.doc.getText('t').toString()).toBe('durable ');
    expect(p.server.rooms.get('acme/flaky')!.doc.getText('t').toString()).toBe('durable ');
    expect(rec.of('onError').some((e) => e.code === CloseCode.STORAGE_UNAVAILABLE)).toBe(true);

    // Storage back: the stock client reconnects and re-sends its state (nothing acknowledged was lost).
    storage.failing = false;
    writer.provider.shouldConnect = true;
    writer.provider.connect();
    await waitFor(
      () => reader.doc.getText('t').toString() === 'durable lost',
      10_000,
      'resync after recovery'
    );
  });
});
