/**
 * Stream semantics of the inspect bridge, in process (test/inspect.harness.ts),
 * driving its hooks directly: what a subscriber is told when data is dropped
 * or coalesced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import type { PresenceUser } from '@collabblocks/protocol';
import type { UpdateEvent } from '../src/hooks/index.js';
import { FakeRoom, startHarness, type Harness } from './inspect.harness.js';

let h: Harness | null = null;
const extra: Harness[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const x of extra.splice(0)) await x.close();
});

/** A loaded room `acme/<name>` with a doc the test edits; returns its update events. */
function loadedRoom(harness: Harness, name: string): { room: FakeRoom; updates: UpdateEvent[] } {
  const id = `acme/${name}`;
  const room = new FakeRoom();
  harness.rooms.set(id, room);
  const updates: UpdateEvent[] = [];
  let seq = 0;
  room.doc.on('update', (u: Uint8Array) => {
    updates.push({
      room: id,
      org: 'acme',
      origin: 'client',
      clientId: room.doc.clientID,
      update: u,
      seq: ++seq,
      ts: Date.now(),
      durationMs: 0,
    });
  });
  return { room, updates };
}

describe('updates stream', () => {
  it('reports updates dropped when the room buffer overflowed (resync with the count), then continues', async () => {
    h = await startHarness();
    const { room, updates } = loadedRoom(h, 'burst');
    const c = await h.inspector();
    const sub = await c.subscribe('updates', 'acme/burst');
    const text = room.doc.getText('t');
    for (let i = 0; i < 2_500; i++) text.insert(text.length, 'x');
    // All 2,500 reach the bridge in one event-loop turn: 2,000 are buffered, 500 dropped.
    for (const ev of updates) h.bridge.extension.onUpdate?.(ev);
    await c.waitFor((m) => m.type === 'resync' && m.sub === sub, 5_000);
    const resync = c.ofType('resync', sub);
    expect(resync).toHaveLength(1);
    expect(resync[0]).toMatchObject({
      stream: 'updates',
      room: 'acme/burst',
      dropped: 500,
      reason: 'backpressure',
    });
    const items = c.ofType('updates', sub).flatMap((m) => m.items);
    expect(items).toHaveLength(2_000);
    // The gap follows the batch: the resync comes after the items that were summarised.
    const idx = (t: string): number =>
      c.messages.findIndex((m) => m.type === t && 'sub' in m && m.sub === sub);
    expect(idx('resync')).toBeGreaterThan(idx('updates'));
    // Then the stream simply continues.
    updates.length = 0;
    text.insert(0, 'y');
    for (const ev of updates) h.bridge.extension.onUpdate?.(ev);
    await c.waitFor((m) => m.type === 'updates' && m.sub === sub && m.items.some((i) => i.seq === 2_501));
    expect(c.ofType('resync', sub)).toHaveLength(1);
    expect(c.invalid).toEqual([]);
  });
});

describe('presence across pods', () => {
  it('marks states relayed from another pod as remote, with a client pseudonym every pod computes alike', async () => {
    // Three pods of one deployment (same inspect secret), one room; X is connected to pod A,
    // Y to pod B; the cluster relays each awareness state to the other pods.
    const pods = [await startHarness(), await startHarness(), await startHarness()];
    extra.push(...pods);
    const rooms = pods.map((p) => {
      const r = new FakeRoom();
      p.rooms.set('acme/shared', r);
      return r;
    });
    const [ra, rb] = rooms as [FakeRoom, FakeRoom, FakeRoom];
    const person = (status: string): Awareness => {
      const a = new Awareness(new Y.Doc());
      a.setLocalState({ cursor: { x: 0.1, y: 0.2 }, status, user: { name: 'Somebody' } });
      return a;
    };
    const x = person('editing');
    const y = person('idle');
    ra.connect({ id: 'conn-a', room: 'acme/shared' }, [x.clientID]);
    rb.connect({ id: 'conn-b', room: 'acme/shared' }, [y.clientID]);
    for (const r of rooms) {
      applyAwarenessUpdate(r.awareness, encodeAwarenessUpdate(x, [x.clientID]), 'relay');
      applyAwarenessUpdate(r.awareness, encodeAwarenessUpdate(y, [y.clientID]), 'relay');
    }
    const views: Array<Map<number, PresenceUser>> = [];
    for (const p of pods) {
      const c = await p.inspector('metadata');
      const sub = await c.subscribe('presence', 'acme/shared');
      const snap = await c.waitFor((m) => m.type === 'presenceSnapshot' && m.sub === sub);
      if (snap.type !== 'presenceSnapshot') throw new Error('no snapshot');
      views.push(new Map(snap.users.map((u) => [u.clientId, u])));
      expect(c.invalid).toEqual([]);
    }
    const [a, b, c] = views as [
      Map<number, PresenceUser>,
      Map<number, PresenceUser>,
      Map<number, PresenceUser>,
    ];
    // The client's own pod: user pseudonym and connection, not remote.
    expect(a.get(x.clientID)).toMatchObject({ user: 'u_conn-a', conn: expect.stringMatching(/^c_/) });
    expect(a.get(x.clientID)?.remote).toBeUndefined();
    expect(b.get(y.clientID)).toMatchObject({ user: 'u_conn-b' });
    expect(b.get(y.clientID)?.remote).toBeUndefined();
    // Other pods: remote, no connection, the same a_ pseudonym on each of them.
    for (const [view, id] of [
      [b, x.clientID],
      [c, x.clientID],
      [a, y.clientID],
      [c, y.clientID],
    ] as const) {
      const u = view.get(id);
      expect(u).toMatchObject({ remote: true, user: expect.stringMatching(/^a_/) });
      expect(u?.conn).toBeUndefined();
    }
    expect(b.get(x.clientID)?.user).toBe(c.get(x.clientID)?.user);
    expect(a.get(y.clientID)?.user).toBe(c.get(y.clientID)?.user);
    x.destroy();
    y.destroy();
  });
});

describe('traffic stream', () => {
  it('reports 200 frames per batch individually, coalesces the rest per (conn, direction, kind) and counts them in dropped', async () => {
    h = await startHarness({ trafficFlushMs: 50 });
    loadedRoom(h, 'busy');
    const c = await h.inspector('metadata');
    const sub = await c.subscribe('traffic', 'acme/busy');
    const frame = (connId: string, direction: 'in' | 'out', bytes: number) =>
      h?.bridge.extension.onFrame?.({
        room: 'acme/busy',
        org: 'acme',
        connId,
        direction,
        kind: 'sync-update',
        bytes,
        ts: Date.now(),
        data: new Uint8Array(bytes),
      });
    // One burst within one flush interval: 250 frames in from conn-1, 30 out to conn-2.
    for (let i = 0; i < 250; i++) frame('conn-1', 'in', 10);
    for (let i = 0; i < 30; i++) frame('conn-2', 'out', 7);
    const m = await c.waitFor((x) => x.type === 'traffic' && x.sub === sub, 5_000);
    if (m.type !== 'traffic') throw new Error('no traffic');
    const single = m.frames.filter((f) => f.count === undefined);
    const coalesced = m.frames.filter((f) => f.count !== undefined);
    expect(single).toHaveLength(200);
    // The 80 frames past the first 200: one row per (conn, direction, kind).
    expect(m.dropped).toBe(80);
    expect(coalesced).toHaveLength(2);
    const inRow = coalesced.find((f) => f.direction === 'in');
    const outRow = coalesced.find((f) => f.direction === 'out');
    expect(inRow).toMatchObject({ kind: 'sync-update', count: 50, bytes: 500 });
    expect(outRow).toMatchObject({ kind: 'sync-update', count: 30, bytes: 210 });
    expect(inRow?.conn).toMatch(/^c_/);
    expect(inRow?.conn).not.toBe(outRow?.conn);
    // Counted rows + coalesced counts = every frame seen.
    expect(single.length + coalesced.reduce((n, f) => n + (f.count ?? 0), 0)).toBe(280);
    // Never content or connection ids in clear.
    expect(c.raw.join('\n')).not.toContain('conn-1');
    // The next batch starts over (dropped is per message).
    frame('conn-1', 'in', 3);
    const next = await c.waitFor((x) => x.type === 'traffic' && x.sub === sub && x !== m, 5_000);
    expect(next).toMatchObject({ dropped: 0 });
    expect(c.invalid).toEqual([]);
  });
});
