import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { HistoryStore, LoadedRoom, StoredUpdate } from '../../../host.js';
import { StoredDocs } from './storedDocs.js';

/** A log per room; `load` resolves when the test says so (or at once when `hold` is off). */
class FakeStore implements HistoryStore {
  readonly logs = new Map<string, StoredUpdate[]>();
  loads = 0;
  hold = false;
  private readonly waiting: Array<() => void> = [];

  write(room: string, key: string, value: number): void {
    const d = new Y.Doc();
    for (const u of this.logs.get(room) ?? []) Y.applyUpdate(d, u.update);
    const log = this.logs.get(room) ?? [];
    d.on('update', (u: Uint8Array) =>
      log.push({ seq: log.length + 1, ts: 1_000, clientId: d.clientID, update: u })
    );
    d.getMap('data').set(key, value);
    this.logs.set(room, log);
    d.destroy();
  }

  releaseLoads(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  async load(room: string): Promise<LoadedRoom> {
    this.loads++;
    if (this.hold) await new Promise<void>((r) => this.waiting.push(r));
    return { snapshot: null, updates: [...(this.logs.get(room) ?? [])] };
  }
  async readRange(): Promise<StoredUpdate[]> {
    return [];
  }
  async readAfter(): Promise<StoredUpdate[]> {
    return [];
  }
  async snapshotAtOrBefore(): Promise<null> {
    return null;
  }
  async stats(): Promise<[]> {
    return [];
  }
}

const keys = (d: Y.Doc): string[] => [...d.getMap('data').keys()].sort();

describe('StoredDocs: the stored state of rooms not loaded here, kept briefly', () => {
  let store: FakeStore;
  beforeEach(() => {
    // Only the cache's own timers are faked: promises and microtasks run as usual.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    store = new FakeStore();
    store.write('acme/a', 'x', 1);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('concurrent acquires share one load; later ones reuse it until the TTL, then it is read again', async () => {
    const docs = new StoredDocs(store, { ttlMs: 5_000 });
    store.hold = true;
    const pending = Promise.all(Array.from({ length: 20 }, () => docs.acquire('acme/a')));
    await Promise.resolve();
    store.releaseLoads();
    const leases = await pending;
    expect(store.loads).toBe(1);
    expect(new Set(leases.map((l) => l.doc)).size).toBe(1);
    for (const l of leases) l.release();
    store.hold = false;

    vi.advanceTimersByTime(4_999);
    const again = await docs.acquire('acme/a');
    expect(again.doc).toBe(leases[0]?.doc);
    again.release();
    expect(store.loads).toBe(1);

    store.write('acme/a', 'y', 2);
    vi.advanceTimersByTime(1);
    expect(docs.size).toBe(0);
    // The expired doc is destroyed (no lease held), and the next acquire reads storage again.
    expect(leases[0]?.doc.isDestroyed).toBe(true);
    const fresh = await docs.acquire('acme/a');
    expect(store.loads).toBe(2);
    expect(keys(fresh.doc)).toEqual(['x', 'y']);
    fresh.release();
    docs.close();
  });

  it('a caller needing a newer seq than the cached state gets a fresh load', async () => {
    const docs = new StoredDocs(store, { ttlMs: 60_000 });
    const first = await docs.acquire('acme/a');
    expect(first.seq).toBe(1);
    store.write('acme/a', 'late', 3);
    const newer = await docs.acquire('acme/a', 2);
    expect(store.loads).toBe(2);
    expect(newer.seq).toBe(2);
    expect(keys(newer.doc)).toEqual(['late', 'x']);
    // The older doc is still leased: it stays usable until released, then it is destroyed.
    expect(first.doc.isDestroyed).toBe(false);
    expect(keys(first.doc)).toEqual(['x']);
    first.release();
    expect(first.doc.isDestroyed).toBe(true);
    newer.release();
    docs.close();
  });

  it('invalidating while a load runs: its awaiters load again instead of using the dropped state', async () => {
    const docs = new StoredDocs(store, { ttlMs: 60_000 });
    store.hold = true;
    const pending = docs.acquire('acme/a');
    await Promise.resolve();
    docs.invalidate('acme/a'); // the room loaded here meanwhile
    store.hold = false;
    store.releaseLoads();
    const lease = await pending;
    expect(store.loads).toBe(2);
    expect(lease.doc.isDestroyed).toBe(false);
    lease.release();
    docs.close();
  });

  it('holds at most maxEntries rooms, dropping the oldest', async () => {
    const docs = new StoredDocs(store, { ttlMs: 60_000, maxEntries: 2 });
    for (const room of ['acme/a', 'acme/b', 'acme/c']) (await docs.acquire(room)).release();
    expect(docs.size).toBe(2);
    expect(store.loads).toBe(3);
    (await docs.acquire('acme/c')).release();
    expect(store.loads).toBe(3);
    (await docs.acquire('acme/a')).release();
    expect(store.loads).toBe(4);
    docs.close();
    expect(docs.size).toBe(0);
  });

  it('a failed load is not cached: the next acquire tries storage again', async () => {
    const docs = new StoredDocs(store, { ttlMs: 60_000 });
    const load = vi.spyOn(store, 'load').mockRejectedValueOnce(new Error('db down'));
    await expect(docs.acquire('acme/a')).rejects.toThrow();
    const lease = await docs.acquire('acme/a');
    expect(load).toHaveBeenCalledTimes(2);
    expect(keys(lease.doc)).toEqual(['x']);
    lease.release();
    docs.close();
  });
});
