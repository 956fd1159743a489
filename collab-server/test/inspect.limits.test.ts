/**
 * Limits of the inspect bridge, in process (test/inspect.harness.ts): history
 * requests run one at a time per session (a few more wait, the rest are
 * refused), documents are rebuilt from storage one at a time per pod.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { InspectServerMessage } from '@collabblocks/protocol';
import { MAX_QUEUED_HISTORY } from '../src/inspect/session.js';
import { startHarness, type Harness, type MemoryStorage } from './inspect.harness.js';
import type { InspectClient } from './inspect.client.js';

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
