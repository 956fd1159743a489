/**
 * Stream semantics of the inspect bridge, in process (test/inspect.harness.ts),
 * driving its hooks directly: what a subscriber is told when data is dropped
 * or coalesced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateEvent } from '../src/hooks.js';
import { FakeRoom, startHarness, type Harness } from './inspect.harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
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
