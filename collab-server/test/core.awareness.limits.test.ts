/**
 * Awareness limits per connection, with raw frames against a real pod: at most
 * COLLAB_AWARENESS_MAX_CLIENTS distinct client ids per connection and
 * COLLAB_AWARENESS_MAX_STATE_BYTES per state (else 4413), and no connection can
 * set or remove the presence of a client id another local connection controls.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { connectClient, openRaw, sleep, waitFor, type RawSocket } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

type Entry = [id: number, clock: number, state: unknown];

/** A y-websocket awareness frame (message type 1) carrying `entries`. */
function awarenessFrame(entries: Entry[]): Uint8Array {
  const u = encoding.createEncoder();
  encoding.writeVarUint(u, entries.length);
  for (const [id, clock, state] of entries) {
    encoding.writeVarUint(u, id);
    encoding.writeVarUint(u, clock);
    encoding.writeVarString(u, JSON.stringify(state));
  }
  const f = encoding.createEncoder();
  encoding.writeVarUint(f, 1);
  encoding.writeVarUint8Array(f, encoding.toUint8Array(u));
  return encoding.toUint8Array(f);
}

/** Client id → state of every awareness frame received so far (last one wins). */
function presenceSeen(frames: Uint8Array[]): Map<number, unknown> {
  const out = new Map<number, unknown>();
  for (const frame of frames) {
    const d = decoding.createDecoder(frame);
    if (decoding.readVarUint(d) !== 1) continue;
    const u = decoding.createDecoder(decoding.readVarUint8Array(d));
    const n = decoding.readVarUint(u);
    for (let i = 0; i < n; i++) {
      const id = decoding.readVarUint(u);
      decoding.readVarUint(u);
      out.set(id, JSON.parse(decoding.readVarString(u)) as unknown);
    }
  }
  return out;
}

describe('awareness limits per connection', () => {
  let pod: PodProcess;
  let token: string;
  const open: RawSocket[] = [];
  /** A raw socket in `room`, as the default user or (`sub`) another member of the org. */
  const raw = async (room: string, sub?: string): Promise<RawSocket> => {
    const tok = sub === undefined ? token : await mintToken({ org: 'acme', sub });
    const r = await openRaw(`${pod.wsUrl}/${room}?token=${tok}`);
    open.push(r);
    // The pod's sync step 1: authenticated and attached.
    await waitFor(() => r.frames.length > 0, 5000, 'server sync step 1');
    return r;
  };

  beforeAll(async () => {
    pod = await startPod({
      env: { COLLAB_AWARENESS_MAX_CLIENTS: '3', COLLAB_AWARENESS_MAX_STATE_BYTES: '1024' },
    });
    token = await mintToken({ org: 'acme' });
  });
  afterAll(async () => {
    for (const r of open) r.ws.terminate();
    await pod?.cleanup();
  });

  it('accepts up to the cap of client ids, closes 4413 beyond it', async () => {
    const observer = await raw('acme/aw-cap');
    const ok = await raw('acme/aw-cap');
    ok.ws.send(awarenessFrame([1, 2, 3].map((id): Entry => [id, 1, { n: id }])));
    await waitFor(() => presenceSeen(observer.frames).size === 3, 5000, 'three states broadcast');
    const many = await raw('acme/aw-cap');
    many.ws.send(awarenessFrame([11, 12, 13, 14].map((id): Entry => [id, 1, { n: id }])));
    const closed = await many.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    expect(closed.reason).toMatch(/awareness clients/);
    await sleep(100);
    // Nothing of the refused frame was applied or broadcast.
    expect([...presenceSeen(observer.frames).keys()].sort()).toEqual([1, 2, 3]);
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
  });

  it('counts every id a connection ever claimed: removing and adding others does not reset the cap', async () => {
    const r = await raw('acme/aw-cycle');
    r.ws.send(awarenessFrame([21, 22, 23].map((id): Entry => [id, 1, { n: id }])));
    r.ws.send(awarenessFrame([21, 22, 23].map((id): Entry => [id, 2, null])));
    // Own ids again are fine (a presence coming back)...
    r.ws.send(awarenessFrame([[21, 3, { back: true }]]));
    await sleep(100);
    expect(r.ws.readyState).toBe(r.ws.OPEN);
    // ...a fourth distinct id is not.
    r.ws.send(awarenessFrame([[24, 1, { n: 24 }]]));
    expect((await r.closed).code).toBe(CloseCode.RATE_LIMITED);
  });

  it('closes 4413 on a state larger than the limit', async () => {
    const r = await raw('acme/aw-big');
    r.ws.send(awarenessFrame([[31, 1, { blob: 'x'.repeat(2000) }]]));
    const closed = await r.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    expect(closed.reason).toMatch(/larger than 1024 bytes/);
  });

  it("ignores entries for another connection's client ids (set or removal) and applies the rest", async () => {
    const observer = await raw('acme/aw-foreign');
    const owner = await raw('acme/aw-foreign');
    owner.ws.send(awarenessFrame([[41, 1, { who: 'owner' }]]));
    await waitFor(() => presenceSeen(observer.frames).has(41), 5000, 'owner state');
    // Another member (a connection of the owner's own user would be the owner reconnecting).
    const intruder = await raw('acme/aw-foreign', 'intruder');
    intruder.ws.send(
      awarenessFrame([
        [41, 9, { who: 'intruder' }],
        [42, 1, { who: 'intruder-own' }],
      ])
    );
    intruder.ws.send(awarenessFrame([[41, 10, null]]));
    await waitFor(() => presenceSeen(observer.frames).has(42), 5000, 'intruder own state');
    await sleep(100);
    expect(presenceSeen(observer.frames).get(41)).toEqual({ who: 'owner' });
    expect(intruder.ws.readyState).toBe(intruder.ws.OPEN);
    // A late joiner sees the owner's state, untouched.
    const late = await raw('acme/aw-foreign');
    await waitFor(() => presenceSeen(late.frames).has(41), 5000, 'initial presence');
    expect(presenceSeen(late.frames).get(41)).toEqual({ who: 'owner' });
    expect(presenceSeen(late.frames).get(42)).toEqual({ who: 'intruder-own' });
    // Once the owner is gone its id is free again.
    owner.ws.close();
    await waitFor(() => presenceSeen(observer.frames).get(41) === null, 5000, 'owner removal');
  });

  it('does not broadcast removals of states that are not there', async () => {
    const observer = await raw('acme/aw-noop');
    const r = await raw('acme/aw-noop');
    r.ws.send(awarenessFrame([[100, 1, { n: 100 }]]));
    r.ws.send(awarenessFrame([[100, 2, null]]));
    await waitFor(() => presenceSeen(observer.frames).get(100) === null, 5000, 'state set and removed');
    const before = observer.frames.length;
    // Removals with ever newer clocks of a state already gone, and of ids never seen.
    for (let clock = 3; clock < 8; clock++) r.ws.send(awarenessFrame([[100, clock, null]]));
    r.ws.send(awarenessFrame([101, 102, 103, 104].map((id): Entry => [id, 5, null])));
    await sleep(200);
    expect(observer.frames.length).toBe(before);
    expect(r.ws.readyState).toBe(r.ws.OPEN);
  });

  it('stock y-websocket clients (which echo every change they receive) are never refused', async () => {
    const clients = Array.from({ length: 6 }, (_, i) =>
      connectClient(pod.wsUrl, 'acme/aw-stock', token, { awareness: { user: `u${i}` } })
    );
    await Promise.all(clients.map((c) => c.synced));
    await waitFor(
      () => clients.every((c) => c.provider.awareness.getStates().size === clients.length),
      10_000,
      'every client sees every presence'
    );
    for (const [i, c] of clients.entries()) c.provider.awareness.setLocalStateField('cursor', { x: i });
    await waitFor(
      () =>
        clients.every((c) =>
          [...c.provider.awareness.getStates().values()].every((s) => (s as { cursor?: unknown }).cursor)
        ),
      10_000,
      'cursor updates everywhere'
    );
    expect(clients.every((c) => c.closes.length === 0)).toBe(true);
    for (const c of clients) c.destroy();
  });
});
