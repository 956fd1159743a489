/**
 * Limits of the inspect bridge, in process (test/inspect.harness.ts): history
 * requests run one at a time per session (a few more wait, the rest are
 * refused), documents are rebuilt from storage one at a time per pod, and the
 * stored state of a room not loaded here is loaded once for a burst of
 * subscribers / history pages and walked in time slices.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, type InspectServerMessage } from '@collabblocks/protocol';
import { MAX_QUEUED_HISTORY, walkDoc } from '@collabblocks/monitor';
import { startHarness, type Harness, type MemoryStorage } from './inspect.harness.js';
import { InspectClient } from './inspect.client.js';
import { addItemMaps } from './helpers/docs.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Writes a small edit history for `room` into the storage log (ts 1000, 1001, …). */
function seedHistory(storage: MemoryStorage, room: string, edits = 20): void {
  const d = new Y.Doc();
  let ts = 1_000;
  d.on('update', (u: Uint8Array) => storage.add(room, { clientId: d.clientID, ts: ts++, update: u }));
  const m = d.getMap<unknown>('m');
  for (let i = 0; i < edits; i++) m.set(`k${i % 5}`, i);
  d.getText('t').insert(0, 'hello');
  d.destroy();
}

type Reply = Extract<InspectServerMessage, { type: 'historyTree' | 'history' | 'error' }>;

/** Sends requests back to back (no waiting), then collects the final reply of each by id. */
async function burst(c: InspectClient, reqs: Array<Record<string, unknown>>): Promise<Map<string, Reply>> {
  const ids = reqs.map(() => c.nextId());
  reqs.forEach((r, i) => c.send({ ...r, id: ids[i] }));
  const done = (m: InspectServerMessage, id: string): boolean =>
    'id' in m &&
    m.id === id &&
    (m.type === 'error' || m.type === 'history' || (m.type === 'historyTree' && m.last));
  const out = new Map<string, Reply>();
  for (const id of ids) out.set(id, (await c.waitFor((m) => done(m, id), 15_000)) as Reply);
  return out;
}

describe('history requests', () => {
  it(`run one at a time per session; ${MAX_QUEUED_HISTORY} more wait in order, the rest are refused`, async () => {
    h = await startHarness({ maxConcurrentRebuilds: 4 });
    seedHistory(h.storage, 'acme/hist');
    h.storage.delayMs = 15;
    const c = await h.inspector();
    const n = MAX_QUEUED_HISTORY + 3;
    const replies = await burst(
      c,
      Array.from({ length: n }, (_, i) =>
        i % 2
          ? { type: 'historyTree', room: 'acme/hist', at: 1_010 }
          : { type: 'history', room: 'acme/hist', fromTs: 0, toTs: 5_000 }
      )
    );
    const kinds = [...replies.values()].map((m) => (m.type === 'error' ? m.code : m.type));
    // 1 running + MAX_QUEUED_HISTORY waiting are answered; the 2 beyond are refused at once.
    expect(kinds.filter((k) => k === 'rate_limited')).toHaveLength(2);
    expect(kinds.slice(0, MAX_QUEUED_HISTORY + 1).every((k) => k === 'history' || k === 'historyTree')).toBe(
      true
    );
    const refused = [...replies.values()].find((m) => m.type === 'error');
    expect(refused?.type === 'error' && refused.message).toMatch(/one history request runs at a time/);
    // Never two at once: every storage read of one request ends before the next request starts.
    expect(h.storage.peakInFlight).toBe(1);
    // Answers come in request order.
    const order = c.messages
      .filter((m) => 'id' in m && replies.has(m.id as string) && m.type !== 'error')
      .map((m) => (m as { id: string }).id);
    expect(order).toEqual([...order].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    // And the session is still fine afterwards.
    const again = await c.request({ type: 'history', room: 'acme/hist', fromTs: 0, toTs: 5_000 });
    expect(again.type).toBe('history');
    expect(c.invalid).toEqual([]);
  });

  it('a history page holds at most maxReplyBytes of entries; nextAfterSeq continues after the cut', async () => {
    h = await startHarness({ maxReplyBytes: 16 * 1024 });
    const d = new Y.Doc();
    let ts = 1_000;
    d.on('update', (u: Uint8Array) =>
      (h as Harness).storage.add('acme/big-page', { clientId: d.clientID, ts: ts++, update: u })
    );
    for (let i = 0; i < 300; i++) d.getText('t').insert(0, `${i}:`.padEnd(150, 'x'));
    d.destroy();
    const c = await h.inspector('content');
    const seqs: number[] = [];
    let afterSeq: number | null | undefined;
    let pages = 0;
    do {
      const from = c.raw.length;
      const r = await c.request({
        type: 'history',
        room: 'acme/big-page',
        fromTs: 0,
        toTs: 10_000,
        limit: 10_000,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      });
      if (r.type !== 'history') throw new Error(JSON.stringify(r));
      pages++;
      const raw = c.raw.slice(from).find((t) => t.includes('"type":"history"')) as string;
      // The 16 KiB bound on entries, plus the envelope.
      expect(raw.length).toBeLessThan(16 * 1024 + 300);
      expect(r.entries.length).toBeGreaterThan(0);
      seqs.push(...r.entries.map((e) => e.seq as number));
      afterSeq = r.nextAfterSeq;
    } while (afterSeq !== null);
    // Every entry exactly once, in order, over several pages (one page before: ~100 KB).
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(pages).toBeGreaterThan(3);
  });

  it('documents are rebuilt from storage one at a time per pod; a full waiting line answers busy', async () => {
    h = await startHarness({ maxQueuedRebuilds: 2 });
    seedHistory(h.storage, 'acme/hist');
    // Slow reads: the five requests all arrive while the first rebuild runs.
    h.storage.delayMs = 100;
    const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => (h as Harness).inspector()));
    const ids = sessions.map((s) => s.nextId());
    sessions.forEach((s, i) => s.send({ type: 'historyTree', id: ids[i], room: 'acme/hist', at: 1_010 }));
    const replies = await Promise.all(
      sessions.map((s, i) =>
        s.waitFor(
          (m) => 'id' in m && m.id === ids[i] && (m.type === 'error' || (m.type === 'historyTree' && m.last)),
          15_000
        )
      )
    );
    // One rebuilding, two waiting, two refused ("busy").
    expect(h.bridge.rebuilds.peak).toBe(1);
    expect(h.storage.peakInFlight).toBe(1);
    const refused = replies.filter((m) => m.type === 'error');
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ code: 'rate_limited', fatal: false });
    expect(refused[0]?.type === 'error' && refused[0].message).toMatch(/busy/);
    expect(replies.filter((m) => m.type === 'historyTree')).toHaveLength(3);
  });
});

/** A stored doc for `room`: `n` child maps × 4 keys under root map `data` (5n + 1 nodes), 100 per update. */
function seedDoc(storage: MemoryStorage, room: string, n: number, ts = 1_000): Y.Doc {
  const d = new Y.Doc();
  d.on('update', (u: Uint8Array) => storage.add(room, { clientId: d.clientID, ts: ts++, update: u }));
  const data = d.getMap<unknown>('data');
  addItemMaps(d, data, 0, n, 100);
  return d;
}

/** Nodes of the snapshot of `sub` (waits for its last chunk). */
async function snapshotOf(c: InspectClient, sub: string): Promise<string[]> {
  await c.waitFor((m) => m.type === 'treeSnapshot' && m.sub === sub && m.last, 30_000);
  return c.ofType('treeSnapshot', sub).flatMap((m) => m.nodes.map((n) => n.path));
}

describe('tree subscriptions to a room not loaded here', () => {
  it('a subscribe/resync flood loads the stored state once; history pages reuse it; a newer page reloads it', async () => {
    // The TTL outlasts the test: the flood must share one load however slow the machine is.
    // Expiry itself is timed by fake timers in the monitor's storedDocs unit tests.
    h = await startHarness({ storedDocTtlMs: 600_000 });
    const d = seedDoc(h.storage, 'acme/cold', 400);
    const expected = [...walkDoc(d, { clientTime: () => undefined, lastChange: new WeakMap() })].map(
      (w) => w.node.path
    );
    d.destroy();
    const sessions = await Promise.all([1, 2, 3].map(() => (h as Harness).inspector()));
    const subs: Array<[InspectClient, string]> = [];
    for (const s of sessions) {
      for (let i = 0; i < 10; i++) {
        const id = s.nextId();
        s.send({ type: 'subscribe', id, stream: 'tree', room: 'acme/cold' });
        const ack = await s.waitFor((m) => 'id' in m && m.id === id);
        if (ack.type !== 'subscribed') throw new Error(JSON.stringify(ack));
        subs.push([s, ack.sub]);
      }
    }
    for (const [s, sub] of subs) expect(await snapshotOf(s, sub)).toEqual(expected);
    expect(h.storage.calls.load).toBe(1);
    // Resubscribing (a dashboard refresh) and history pages of that room: still that one load.
    const c = sessions[0] as InspectClient;
    const again = await c.subscribe('tree', 'acme/cold');
    expect(await snapshotOf(c, again)).toEqual(expected);
    let afterSeq: number | null | undefined;
    for (let page = 0; page < 3; page++) {
      const r = await c.request({
        type: 'history',
        room: 'acme/cold',
        fromTs: 0,
        toTs: 5_000,
        limit: 1,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      });
      expect(r.type, JSON.stringify(r)).toBe('history');
      if (r.type === 'history') afterSeq = r.nextAfterSeq;
    }
    expect(h.storage.calls.load).toBe(1);
    // A page newer than the cached state reloads it (its paths resolve against a doc that has them).
    const writer = new Y.Doc();
    for (const u of (await h.storage.load('acme/cold')).updates) Y.applyUpdate(writer, u.update);
    writer.on('update', (u: Uint8Array) =>
      (h as Harness).storage.add('acme/cold', { clientId: writer.clientID, ts: 2_000, update: u })
    );
    writer.getMap('data').set('late', 1);
    const late = await c.request({ type: 'history', room: 'acme/cold', fromTs: 1_500, toTs: 5_000 });
    expect(late.type === 'history' && late.entries.map((e) => e.paths)).toEqual([['/data/late']]);
    const loads = h.storage.calls.load as number;
    expect(loads).toBe(3); // 1 + the test's own read above + the reload
    // A tree subscription now gets the reloaded state (with the late key) without another load.
    const later = await c.subscribe('tree', 'acme/cold');
    expect(await snapshotOf(c, later)).toContain('/data/late');
    expect(h.storage.calls.load).toBe(loads);
  });

  it('streams the stored tree while its walk runs in time slices (first chunks before the walk ends)', async () => {
    h = await startHarness();
    seedDoc(h.storage, 'acme/cold-big', 20_000).destroy();
    const c = await h.inspector();
    const sub = await c.subscribe('tree', 'acme/cold-big');
    const paths = await snapshotOf(c, sub);
    expect(paths).toHaveLength(100_001);
    const chunks = c.ofType('treeSnapshot', sub);
    // The first chunk went out while the walk was still running (its total is the count so far).
    expect(chunks[0]?.total).toBeLessThan(100_001);
    expect(chunks[chunks.length - 1]?.total).toBe(100_001);
  }, 60_000);
});

describe('session caps', () => {
  it('sockets still authenticating have their own cap; they do not count against the session cap', async () => {
    h = await startHarness({ maxSessions: 2, maxUnauthenticated: 3 });
    const harness = h;
    // Two idle sockets that never authenticate (they would time out after 2 s).
    const idle = [await InspectClient.open(harness.wsUrl), await InspectClient.open(harness.wsUrl)];
    // Inspectors still get in: the session cap (2) counts authenticated sessions only.
    const a = await harness.inspector();
    const b = await harness.inspector();
    expect(a.closeInfo).toBeNull();
    expect(b.closeInfo).toBeNull();
    // A third authenticated session is over the cap: refused at its auth.
    const c = await InspectClient.open(harness.wsUrl);
    const refused = await c.auth(await harness.token());
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited', fatal: true });
    expect((await c.closed).code).toBe(CloseCode.RATE_LIMITED);
    // Idle sockets: a third is accepted, a fourth is refused at once.
    idle.push(await InspectClient.open(harness.wsUrl));
    const over = await InspectClient.open(harness.wsUrl);
    expect((await over.closed).code).toBe(CloseCode.RATE_LIMITED);
    expect(idle.every((s) => s.closeInfo === null)).toBe(true);
    for (const s of [...idle, c, over]) s.ws.terminate();
  });
});
