/**
 * The storage contract: one suite, run against every backend
 * (`storage.sqlite.test.ts`, `storage.postgres.test.ts`). A target hands out
 * isolated locations; `open()` may be called several times on one location
 * (reopen after close, or two pods sharing one database where supported).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { rebuildDocAt } from '@collabblocks/monitor';
import type { NewUpdate, Snapshot, Storage } from '../../src/storage/types.js';

export interface StorageLocation {
  open(): Promise<Storage>;
  dispose(): Promise<void>;
}

export interface ContractTarget {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<StorageLocation>;
}

function upd(bytes: number[], ts: number, clientId = 7): NewUpdate {
  return { clientId, ts, update: new Uint8Array(bytes) };
}

function rebuild(snapshot: Uint8Array | null, updates: Array<{ update: Uint8Array }>): string {
  const doc = new Y.Doc();
  if (snapshot) Y.applyUpdate(doc, snapshot);
  for (const u of updates) Y.applyUpdate(doc, u.update);
  return doc.getText('t').toString();
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A known history: one Yjs text insert per entry at the given (ascending)
 * times; `texts[i]` is the text after entry i, `snapshot(k)` the compaction
 * snapshot covering seqs 1..k.
 */
export function history(times: number[]): {
  updates: NewUpdate[];
  texts: string[];
  snapshot(k: number): Snapshot;
  textAt(at: number): string;
} {
  const doc = new Y.Doc();
  doc.clientID = 77;
  const updates: NewUpdate[] = [];
  const texts: string[] = [];
  const states: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) =>
    updates.push({ clientId: 77, ts: times[updates.length] as number, update: u })
  );
  times.forEach((_, i) => {
    doc.getText('t').insert(doc.getText('t').length, `e${i} `);
    texts.push(doc.getText('t').toString());
    states.push(Y.encodeStateAsUpdate(doc));
  });
  return {
    updates,
    texts,
    snapshot: (k) => ({ seq: k, ts: times[k - 1] as number, state: states[k - 1] as Uint8Array }),
    textAt(at) {
      let n = 0;
      while (n < times.length && (times[n] as number) <= at) n++;
      return n === 0 ? '' : (texts[n - 1] as string);
    },
  };
}

/** The text at `at` as time travel (inspect `historyTree`) rebuilds it from storage. */
export async function textAt(storage: Storage, room: string, at: number): Promise<string> {
  const r = await rebuildDocAt(storage, room, at);
  try {
    return r.doc.getText('t').toString();
  } finally {
    r.itemTimes.close();
    r.doc.destroy();
  }
}

/** How a storage call ended within 3 s: 'resolved', the rejection's error name, or 'pending'. */
async function settled(p: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((r) => {
    timer = setTimeout(() => r('pending'), 3000);
  });
  const outcome = p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof Error ? err.name : 'non-error rejection')
  );
  try {
    return await Promise.race([outcome, pending]);
  } finally {
    clearTimeout(timer);
  }
}

export function storageContract(target: ContractTarget): void {
  describe(`Storage contract: ${target.name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()?.();
    });

    async function openFresh(): Promise<{ storage: Storage; loc: StorageLocation }> {
      const loc = await target.fresh();
      cleanups.push(() => loc.dispose());
      const storage = await loc.open();
      cleanups.push(() => storage.close());
      return { storage, loc };
    }

    it('reports its kind', async () => {
      const { storage } = await openFresh();
      expect(storage.kind).toBe(target.name);
    });

    it('assigns strictly increasing, gap-free seqs per room from 1, in input order', async () => {
      const { storage } = await openFresh();
      expect(await storage.append('acme/a', [upd([1], 100), upd([2], 101)])).toEqual([1, 2]);
      expect(await storage.append('acme/b', [upd([9], 100)])).toEqual([1]);
      expect(await storage.append('acme/a', [upd([3], 102)])).toEqual([3]);
      expect(await storage.append('acme/a', [])).toEqual([]);
      const all = await storage.readAfter('acme/a', 0, 100);
      expect(all.map((u) => u.seq)).toEqual([1, 2, 3]);
      expect(all.map((u) => [...u.update])).toEqual([[1], [2], [3]]);
    });

    it('gives concurrent appends unique contiguous seqs (group commit keeps each call in order)', async () => {
      const { storage } = await openFresh();
      const calls = Array.from({ length: 40 }, (_, i) =>
        storage.append('acme/c', [upd([i, 0], 1000 + i), upd([i, 1], 1000 + i)])
      );
      const results = await Promise.all(calls);
      for (const seqs of results) expect(seqs[1]).toBe((seqs[0] as number) + 1);
      const flat = results.flat().sort((a, b) => a - b);
      expect(flat).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      const stored = await storage.readAfter('acme/c', 0, 1000);
      // What each call got back is what the log holds at those seqs.
      results.forEach((seqs, i) => {
        expect([...(stored[(seqs[0] as number) - 1]?.update ?? [])]).toEqual([i, 0]);
        expect([...(stored[(seqs[1] as number) - 1]?.update ?? [])]).toEqual([i, 1]);
      });
    });

    it('round-trips update bytes, client id and timestamp exactly', async () => {
      const { storage } = await openFresh();
      const big = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
      await storage.append('acme/bytes', [
        { clientId: 4294967295, ts: 1_700_000_000_123, update: big },
        { clientId: 0, ts: 1, update: new Uint8Array([0, 255, 0]) },
      ]);
      const loaded = await storage.load('acme/bytes');
      expect(loaded.snapshot).toBeNull();
      expect(loaded.updates).toHaveLength(2);
      const [a, b] = loaded.updates;
      expect(a?.clientId).toBe(4294967295);
      expect(a?.ts).toBe(1_700_000_000_123);
      expect(a?.seq).toBe(1);
      expect(Buffer.from(a?.update ?? []).equals(Buffer.from(big))).toBe(true);
      expect([...(b?.update ?? [])]).toEqual([0, 255, 0]);
    });

    it('loads an unknown room as empty', async () => {
      const { storage } = await openFresh();
      expect(await storage.load('acme/nothing')).toEqual({ snapshot: null, updates: [] });
      expect(await storage.readAfter('acme/nothing', 0, 10)).toEqual([]);
      expect(await storage.snapshotAtOrBefore('acme/nothing', Date.now())).toBeNull();
    });

    it('loads the latest snapshot plus only the log after it, and rebuilds the document', async () => {
      const { storage } = await openFresh();
      const h = history(Array.from({ length: 10 }, (_, i) => 10_000 + i));
      await storage.append('acme/doc', h.updates.slice(0, 6));
      await storage.saveSnapshot('acme/doc', h.snapshot(6)); // ts 10_005
      await storage.append('acme/doc', h.updates.slice(6));
      const loaded = await storage.load('acme/doc');
      expect(loaded.snapshot?.seq).toBe(6);
      expect(loaded.snapshot?.ts).toBe(10_005);
      expect(loaded.updates.map((u) => u.seq)).toEqual([7, 8, 9, 10]);
      expect(rebuild(loaded.snapshot?.state ?? null, loaded.updates)).toBe(h.texts[9]);
    });

    it('readAfter honours afterSeq and limit, in seq order', async () => {
      const { storage } = await openFresh();
      await storage.append(
        'acme/r',
        Array.from({ length: 10 }, (_, i) => upd([i], 100 + i))
      );
      expect((await storage.readAfter('acme/r', 3, 4)).map((u) => u.seq)).toEqual([4, 5, 6, 7]);
      expect((await storage.readAfter('acme/r', 8, 100)).map((u) => u.seq)).toEqual([9, 10]);
      expect(await storage.readAfter('acme/r', 10, 100)).toEqual([]);
      expect(await storage.readAfter('acme/r', 0, 0)).toEqual([]);
    });

    it('readRange is inclusive on both ends, bounded by limit, in seq order, per room', async () => {
      const { storage } = await openFresh();
      await storage.append('acme/h', [upd([1], 100), upd([2], 200), upd([3], 300), upd([4], 400)]);
      await storage.append('acme/other', [upd([9], 200)]);
      const mid = await storage.readRange({ room: 'acme/h', fromTs: 200, toTs: 300, limit: 100 });
      expect(mid.map((u) => u.seq)).toEqual([2, 3]);
      const lim = await storage.readRange({ room: 'acme/h', fromTs: 0, toTs: 1000, limit: 3 });
      expect(lim.map((u) => u.seq)).toEqual([1, 2, 3]);
      expect(await storage.readRange({ room: 'acme/h', fromTs: 401, toTs: 1000, limit: 10 })).toEqual([]);
    });

    it('snapshotAtOrBefore returns the newest snapshot with ts <= the time', async () => {
      const { storage } = await openFresh();
      await storage.append('acme/tt', [upd([1], 100), upd([2], 200), upd([3], 300)]);
      await storage.saveSnapshot('acme/tt', { seq: 1, ts: 100, state: new Uint8Array([1]) });
      await storage.saveSnapshot('acme/tt', { seq: 3, ts: 300, state: new Uint8Array([3]) });
      expect(await storage.snapshotAtOrBefore('acme/tt', 99)).toBeNull();
      expect((await storage.snapshotAtOrBefore('acme/tt', 100))?.seq).toBe(1);
      expect((await storage.snapshotAtOrBefore('acme/tt', 299))?.seq).toBe(1);
      const latest = await storage.snapshotAtOrBefore('acme/tt', 10_000);
      expect(latest?.seq).toBe(3);
      expect([...(latest?.state ?? [])]).toEqual([3]);
    });

    it('prune drops only log entries covered by the base snapshot at or before the cut-off', async () => {
      const { storage } = await openFresh();
      const h = history(Array.from({ length: 8 }, (_, i) => 1000 + i));
      await storage.append('acme/p', h.updates.slice(0, 5)); // ts 1000..1004
      await storage.saveSnapshot('acme/p', h.snapshot(5)); // ts 1004
      await storage.append('acme/p', h.updates.slice(5)); // ts 1005..1007, not covered
      // A room with no snapshot keeps everything, however old.
      await storage.append('acme/nosnap', [upd([1], 1), upd([2], 2)]);

      // No snapshot at or before 1003: instant 1003 needs seqs 1..4, so nothing goes.
      expect(await storage.prune(1003)).toBe(0);
      expect((await storage.readAfter('acme/p', 0, 100)).map((u) => u.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await textAt(storage, 'acme/p', 1003)).toBe(h.texts[3]);
      expect((await storage.readAfter('acme/nosnap', 0, 100)).map((u) => u.seq)).toEqual([1, 2]);

      expect(await storage.prune(1_000_000)).toBe(5); // seqs 1..5 (the base covers them); 6..8 are after it
      const loaded = await storage.load('acme/p');
      expect(loaded.updates.map((u) => u.seq)).toEqual([6, 7, 8]);
      expect(rebuild(loaded.snapshot?.state ?? null, loaded.updates)).toBe(h.texts[7]);
      expect((await storage.readAfter('acme/nosnap', 0, 100)).map((u) => u.seq)).toEqual([1, 2]);
      // Seqs keep counting after a prune.
      expect(await storage.append('acme/p', [upd([0], 2000)])).toEqual([9]);
    });

    it('prune keeps the base at the cut-off and drops older superseded snapshots', async () => {
      const { storage } = await openFresh();
      await storage.append('acme/s', [upd([1], 10), upd([2], 20)]);
      await storage.saveSnapshot('acme/s', { seq: 1, ts: 10, state: new Uint8Array([1]) });
      await storage.saveSnapshot('acme/s', { seq: 2, ts: 20, state: new Uint8Array([2]) });
      await storage.prune(1_000_000);
      expect(await storage.snapshotAtOrBefore('acme/s', 15)).toBeNull();
      expect((await storage.load('acme/s')).snapshot?.seq).toBe(2);
      // The whole log is gone: an instant before the only snapshot cannot be rebuilt.
      expect(await storage.readAfter('acme/s', 0, 10)).toEqual([]);
      await expect(textAt(storage, 'acme/s', 15)).rejects.toMatchObject({ code: 'history_pruned' });
      // A room that never existed is empty at any instant (not an error).
      expect(await textAt(storage, 'acme/never', 15)).toBe('');
    });

    it('after a prune every instant inside the retention window rebuilds exactly (written day 0 and day 8, 7-day retention)', async () => {
      const { storage } = await openFresh();
      const t0 = 1_700_000_000_000;
      const times = [t0, t0 + 1, t0 + 2, t0 + 8 * DAY, t0 + 8 * DAY + 1];
      const h = history(times);
      await storage.append('acme/week', h.updates.slice(0, 3));
      await storage.saveSnapshot('acme/week', h.snapshot(3));
      await storage.append('acme/week', h.updates.slice(3));
      await storage.saveSnapshot('acme/week', h.snapshot(5));
      const cut = t0 + 8 * DAY + DAY / 2 - 7 * DAY; // pruned at day 8.5 with 7-day retention

      expect(await storage.prune(cut)).toBe(3);
      for (const at of [cut, t0 + 5 * DAY, t0 + 8 * DAY - 1, t0 + 8 * DAY, t0 + 8 * DAY + 1, t0 + 9 * DAY]) {
        expect(await textAt(storage, 'acme/week', at)).toBe(h.textAt(at));
      }
      expect(await textAt(storage, 'acme/week', t0 + 5 * DAY)).toBe(h.texts[2]);
      // Instants before the base are gone: a clear error, never a silently wrong document.
      await expect(textAt(storage, 'acme/week', t0 - 1)).rejects.toMatchObject({ code: 'history_pruned' });
      // Pruning again with the same cut-off removes nothing more.
      expect(await storage.prune(cut)).toBe(0);
      expect(await textAt(storage, 'acme/week', t0 + 5 * DAY)).toBe(h.texts[2]);
    });

    it('prune thins snapshots to one per interval plus the latest and the base; every instant from the cut-off rebuilds exactly', async () => {
      const { storage } = await openFresh();
      const t0 = 1_700_000_000_000;
      const times = Array.from({ length: 60 }, (_, i) => t0 + i * 10 * MINUTE);
      const h = history(times);
      const room = 'acme/thin';
      // Compaction after every update, like a busy room.
      for (let k = 1; k <= times.length; k++) {
        await storage.append(room, [h.updates[k - 1] as NewUpdate]);
        await storage.saveSnapshot(room, h.snapshot(k));
      }
      const cut = t0 + 3 * HOUR + 5 * MINUTE;
      const removed = await storage.prune(cut, { snapshotIntervalMs: HOUR });
      // Base: seq 19 (ts t0 + 3 h); its log entries 1..19 are older than the cut-off.
      expect(removed).toBe(19);
      const base = 19;
      const newestPerHour = new Map<number, number>();
      for (let k = base + 1; k <= times.length; k++)
        newestPerHour.set(Math.floor((times[k - 1] as number) / HOUR), k);
      const kept = new Set([base, times.length, ...newestPerHour.values()]);
      for (let k = 1; k <= times.length; k++) {
        const found = await storage.snapshotAtOrBefore(room, times[k - 1] as number);
        if (kept.has(k)) expect(found?.seq, `snapshot ${k} kept`).toBe(k);
        else expect(found?.seq, `snapshot ${k} thinned`).not.toBe(k);
      }
      expect(kept.size).toBeLessThan(15);
      expect((await storage.readAfter(room, 0, 1000)).map((u) => u.seq)).toEqual(
        Array.from({ length: times.length - base }, (_, i) => base + 1 + i)
      );
      for (let k = base; k <= times.length; k++) {
        const ts = times[k - 1] as number;
        for (const at of [ts - 1, ts, ts + 1]) {
          if (at < cut) continue;
          expect(await textAt(storage, room, at), `instant ${at - t0}`).toBe(h.textAt(at));
        }
      }
      // Instants between the base and the cut-off are still rebuildable; before the base they are not.
      expect(await textAt(storage, room, cut - 1)).toBe(h.textAt(cut - 1));
      await expect(textAt(storage, room, (times[base - 1] as number) - 1)).rejects.toMatchObject({
        code: 'history_pruned',
      });
      // Accounting: every retained snapshot plus the retained log.
      const snapBytes = [...kept].reduce((n, k) => n + h.snapshot(k).state.byteLength, 0);
      const logBytes = h.updates.slice(base).reduce((n, u) => n + u.update.byteLength, 0);
      const stats = (await storage.stats()).find((x) => x.room === room);
      expect(stats).toMatchObject({ ops: times.length - base, bytes: snapBytes + logBytes, lastSeq: 60 });
    });

    it('prune with snapshotIntervalMs 0 keeps every snapshot after the base', async () => {
      const { storage } = await openFresh();
      const h = history([100, 200, 300, 400]);
      for (let k = 1; k <= 4; k++) {
        await storage.append('acme/all', [h.updates[k - 1] as NewUpdate]);
        await storage.saveSnapshot('acme/all', h.snapshot(k));
      }
      expect(await storage.prune(250, { snapshotIntervalMs: 0 })).toBe(2);
      expect(await storage.snapshotAtOrBefore('acme/all', 150)).toBeNull();
      for (const k of [2, 3, 4]) expect((await storage.snapshotAtOrBefore('acme/all', k * 100))?.seq).toBe(k);
      await expect(storage.prune(250, { snapshotIntervalMs: -1 })).rejects.toThrow(/snapshotIntervalMs/);
    });

    it('a room whose snapshots are all newer than the cut-off keeps its whole log', async () => {
      const { storage } = await openFresh();
      const h = history([1000, 2000, 3000]);
      await storage.append('acme/young', h.updates);
      await storage.saveSnapshot('acme/young', h.snapshot(2));
      await storage.saveSnapshot('acme/young', h.snapshot(3));
      expect(await storage.prune(1500, { snapshotIntervalMs: 1 })).toBe(0);
      expect((await storage.readAfter('acme/young', 0, 10)).map((u) => u.seq)).toEqual([1, 2, 3]);
      for (const at of [500, 1000, 1500, 2500, 3000])
        expect(await textAt(storage, 'acme/young', at)).toBe(h.textAt(at));
    });

    it('keeps stats exact (ops, log + every retained snapshot bytes) through appends, snapshots, prunes and a reopen', async () => {
      const { storage, loc } = await openFresh();
      const t0 = 1_000_000;
      const times = Array.from({ length: 12 }, (_, i) => t0 + i * 1000);
      const h = history(times);
      const other = history([t0, t0 + 500]);
      const snaps = new Map<number, number>(); // retained snapshot seq -> bytes (model)
      const expectStats = async (s: Storage, logFrom: number, logTo = times.length): Promise<void> => {
        const log = h.updates.slice(logFrom, logTo);
        const bytes =
          log.reduce((n, u) => n + u.update.byteLength, 0) + [...snaps.values()].reduce((a, b) => a + b, 0);
        const all = await s.stats();
        expect(all.find((x) => x.room === 'acme/acct')).toMatchObject({ ops: log.length, bytes });
        const o = all.find((x) => x.room === 'acme/other');
        expect(o).toMatchObject({
          ops: 2,
          bytes: other.updates.reduce((n, u) => n + u.update.byteLength, 0),
        });
      };
      await storage.append('acme/acct', h.updates.slice(0, 6));
      await storage.append('acme/other', other.updates);
      await expectStats(storage, 0, 6);
      for (const k of [2, 4, 6]) {
        await storage.saveSnapshot('acme/acct', h.snapshot(k));
        snaps.set(k, h.snapshot(k).state.byteLength);
      }
      // The same seq again (another pod's compaction): ignored, counted once.
      await storage.saveSnapshot('acme/acct', { ...h.snapshot(4), state: new Uint8Array(999) });
      await expectStats(storage, 0, 6);
      expect([...((await storage.snapshotAtOrBefore('acme/acct', times[3] as number))?.state ?? [])]).toEqual(
        [...h.snapshot(4).state]
      );
      await storage.append('acme/acct', h.updates.slice(6));
      await storage.saveSnapshot('acme/acct', h.snapshot(9));
      snaps.set(9, h.snapshot(9).state.byteLength);
      await expectStats(storage, 0);
      // Base at seq 4 (ts <= cut): snapshot 2 and log 1..4 go.
      expect(await storage.prune((times[4] as number) - 1, { snapshotIntervalMs: 0 })).toBe(4);
      snaps.delete(2);
      await expectStats(storage, 4);
      await storage.close();
      const again = await loc.open();
      cleanups.push(() => again.close());
      await expectStats(again, 4);
      // Base at seq 9: snapshots 4 and 6, log 5..9 go.
      expect(await again.prune(times[11] as number)).toBe(5);
      snaps.delete(4);
      snaps.delete(6);
      await expectStats(again, 9);
      const last = (await again.stats()).find((x) => x.room === 'acme/acct');
      expect(last).toMatchObject({ lastSeq: 12, lastTs: times[11] });
    });

    it('stats reports per-room ops, bytes, last seq and time, with the org', async () => {
      const { storage } = await openFresh();
      await storage.append('acme/one', [upd([1, 2, 3], 100), upd([4, 5], 250)]);
      await storage.append('globex/two', [upd([1], 50)]);
      const stats = await storage.stats();
      const one = stats.find((s) => s.room === 'acme/one');
      const two = stats.find((s) => s.room === 'globex/two');
      expect(one).toMatchObject({ org: 'acme', ops: 2, lastSeq: 2, lastTs: 250 });
      expect(one?.bytes).toBeGreaterThanOrEqual(5);
      expect(two).toMatchObject({ org: 'globex', ops: 1, lastSeq: 1, lastTs: 50 });
    });

    it('keeps everything across close and reopen', async () => {
      const { storage, loc } = await openFresh();
      await storage.append('acme/durable', [upd([1], 1), upd([2], 2)]);
      await storage.saveSnapshot('acme/durable', { seq: 1, ts: 1, state: new Uint8Array([7]) });
      await storage.close();
      const again = await loc.open();
      cleanups.push(() => again.close());
      await again.init(); // migrations are idempotent
      const loaded = await again.load('acme/durable');
      expect(loaded.snapshot?.seq).toBe(1);
      expect(loaded.updates.map((u) => u.seq)).toEqual([2]);
      expect(await again.append('acme/durable', [upd([3], 3)])).toEqual([3]);
    });

    it('rejects bad input with an error instead of crashing', async () => {
      const { storage } = await openFresh();
      await expect(storage.append('', [upd([1], 1)])).rejects.toThrow();
      await expect(
        storage.append('acme/x', [{ clientId: 1, ts: 1, update: 'nope' as unknown as Uint8Array }])
      ).rejects.toThrow();
      // The storage still works afterwards.
      expect(await storage.append('acme/x', [upd([1], 1)])).toEqual([1]);
    });

    // The backends used to disagree on each of these (one shared validation now: src/storage/validate.ts).
    it('refuses client ids outside uint32 and timestamps outside the safe range, without blocking other appends', async () => {
      const { storage } = await openFresh();
      const bad: Array<Partial<NewUpdate>> = [
        { clientId: 2 ** 32 }, // PostgreSQL stored it
        { clientId: 2 ** 64 }, // PostgreSQL: beyond BIGINT, the whole group commit failed and was retried forever
        { clientId: -1 },
        { clientId: 1.5 },
        { ts: 1e300 }, // SQLite stored a REAL; PostgreSQL: beyond BIGINT, as above
        { ts: Number.NaN },
        { ts: Number.POSITIVE_INFINITY },
      ];
      for (const b of bad) {
        const u = { ...upd([7], 7), ...b };
        expect(await settled(storage.append('acme/bad', [u])), JSON.stringify(b)).toBe('TypeError');
      }
      // Appended together with the bad ones above: a valid append is durable at once.
      expect(await settled(storage.append('acme/bad', [upd([1], 1)]))).toBe('resolved');
      expect((await storage.load('acme/bad')).updates.map((u) => u.seq)).toEqual([1]);
    });

    it('validates the room of every call', async () => {
      const { storage } = await openFresh();
      const snap = { seq: 1, ts: 1, state: new Uint8Array([0, 0]) };
      for (const room of ['', 'x'.repeat(256), 42 as unknown as string]) {
        expect(await settled(storage.load(room))).toBe('TypeError');
        expect(await settled(storage.readAfter(room, 0, 10))).toBe('TypeError'); // SQLite answered these
        expect(await settled(storage.readRange({ room, fromTs: 0, toTs: 10, limit: 10 }))).toBe('TypeError');
        expect(await settled(storage.snapshotAtOrBefore(room, 10))).toBe('TypeError');
        expect(await settled(storage.saveSnapshot(room, snap))).toBe('TypeError');
      }
    });

    it('readRange rounds fractional bounds inwards; snapshots need a finite time', async () => {
      const { storage } = await openFresh();
      await storage.append('acme/frac', [upd([1], 1000), upd([2], 1001), upd([3], 1002)]);
      // SQLite truncated 1000.5 to 1000 and returned the entry at 1000, outside the range.
      const got = await storage.readRange({ room: 'acme/frac', fromTs: 1000.5, toTs: 1001.5, limit: 10 });
      expect(got.map((u) => u.ts)).toEqual([1001]);
      const state = new Uint8Array([0, 0]);
      expect(await settled(storage.saveSnapshot('acme/frac', { seq: 1, ts: Number.NaN, state }))).toBe(
        'TypeError'
      );
    });
  });
}
