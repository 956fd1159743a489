/**
 * SQLite storage: the shared storage contract plus SQLite specifics — WAL and
 * sync mode, group commit (one transaction per event-loop turn), failure
 * isolation inside a batch, flush on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { storageContract } from './storage/contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'collab-sqlite-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

storageContract({
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-sqlite-contract-'));
    return {
      async open() {
        const s = new SqliteStorage({ dataDir: dir });
        await s.init();
        return s;
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

const u = (b: number[], ts = Date.now(), clientId = 1) => ({ clientId, ts, update: new Uint8Array(b) });

describe('sqlite specifics', () => {
  it('uses WAL and the configured synchronous level', async () => {
    for (const sync of ['normal', 'full'] as const) {
      const dir = tempDir();
      const s = new SqliteStorage({ dataDir: dir, sync });
      await s.init();
      const probe = new Database(s.file, { readonly: true });
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
      probe.close();
      await s.close();
    }
  });

  it('group-commits the appends of one event-loop turn in a single transaction', async () => {
    const s = new SqliteStorage({ dataDir: tempDir() });
    await s.init();
    const before = s.commits;
    const calls = [];
    for (let i = 0; i < 50; i++) calls.push(s.append(`acme/r${i % 5}`, [u([i])]));
    const seqs = await Promise.all(calls);
    expect(s.commits - before).toBe(1);
    // Per room, seqs follow call order.
    for (let r = 0; r < 5; r++) {
      expect(seqs.filter((_, i) => i % 5 === r).map((x) => x[0])).toEqual(
        [...Array(10).keys()].map((k) => k + 1)
      );
    }
    // A later turn is a new commit.
    await s.append('acme/r0', [u([99])]);
    expect(s.commits - before).toBe(2);
    await s.close();
  });

  it('isolates a failing append inside a batch and recovers its seq from the database', async () => {
    const s = new SqliteStorage({ dataDir: tempDir() });
    await s.init();
    await s.append('acme/a', [u([1])]);
    // Another writer takes seq 2 behind the pod's back: the cached seq is now stale.
    const other = new Database(s.file);
    other
      .prepare('INSERT INTO updates (room, seq, ts, client_id, bytes) VALUES (?, ?, ?, ?, ?)')
      .run('acme/a', 2, 1, 1, Buffer.from([2]));
    other.close();
    const [a, b] = await Promise.allSettled([s.append('acme/a', [u([3])]), s.append('acme/b', [u([4])])]);
    // acme/b is unaffected by acme/a's conflict; acme/a retried with a fresh seq.
    expect(b).toEqual({ status: 'fulfilled', value: [1] });
    expect(a).toEqual({ status: 'fulfilled', value: [3] });
    expect((await s.readAfter('acme/a', 0, 10)).map((x) => x.seq)).toEqual([1, 2, 3]);
    await s.close();
  });

  it('flushes pending appends on close and refuses appends afterwards', async () => {
    const dir = tempDir();
    const s = new SqliteStorage({ dataDir: dir });
    await s.init();
    const pending = s.append('acme/c', [u([1]), u([2])]);
    await s.close();
    expect(await pending).toEqual([1, 2]);
    await expect(s.append('acme/c', [u([3])])).rejects.toThrow(/closed/);
    const again = new SqliteStorage({ dataDir: dir });
    await again.init();
    expect((await again.load('acme/c')).updates.map((x) => [...x.update])).toEqual([[1], [2]]);
    await again.close();
  });

  it('loads the latest snapshot plus the log after it, ignoring older snapshots', async () => {
    const s = new SqliteStorage({ dataDir: tempDir() });
    await s.init();
    await s.append('acme/s', [u([1], 10), u([2], 20), u([3], 30)]);
    await s.saveSnapshot('acme/s', { seq: 1, ts: 10, state: new Uint8Array([1]) });
    await s.saveSnapshot('acme/s', { seq: 2, ts: 20, state: new Uint8Array([2]) });
    const loaded = await s.load('acme/s');
    expect(loaded.snapshot?.seq).toBe(2);
    expect(loaded.updates.map((x) => x.seq)).toEqual([3]);
    // History stays queryable: the log is not deleted by snapshots.
    expect((await s.readRange({ room: 'acme/s', fromTs: 0, toTs: 100, limit: 10 })).length).toBe(3);
    expect((await s.snapshotAtOrBefore('acme/s', 15))?.seq).toBe(1);
    const stats = (await s.stats()).find((x) => x.room === 'acme/s');
    expect(stats).toMatchObject({ ops: 3, lastSeq: 3, lastTs: 30, org: 'acme' });
    await s.close();
  });

  it('keeps per-room stats equal to a full recomputation through appends, snapshots and prunes', async () => {
    const s = new SqliteStorage({ dataDir: tempDir() });
    await s.init();
    const recompute = () => {
      const db = new Database(s.file, { readonly: true });
      const rows = db
        .prepare(
          `SELECT r.room AS room,
             (SELECT COUNT(*) FROM updates u WHERE u.room = r.room) AS ops,
             COALESCE((SELECT SUM(LENGTH(bytes)) FROM updates u WHERE u.room = r.room), 0) +
             COALESCE((SELECT SUM(LENGTH(state)) FROM snapshots x WHERE x.room = r.room), 0) AS bytes
           FROM (SELECT room FROM updates UNION SELECT room FROM snapshots) r ORDER BY r.room`
        )
        .all();
      db.close();
      return rows;
    };
    const mine = async () =>
      (await s.stats())
        .map((x) => ({ room: x.room, ops: x.ops, bytes: x.bytes }))
        .sort((a, b) => a.room.localeCompare(b.room));
    for (let i = 0; i < 30; i++) await s.append(`acme/s${i % 3}`, [u([i, i, i], 1000 + i), u([i], 1000 + i)]);
    expect(await mine()).toEqual(recompute());
    await s.saveSnapshot('acme/s0', { seq: 10, ts: 1010, state: new Uint8Array(40) });
    await s.saveSnapshot('acme/s0', { seq: 4, ts: 1004, state: new Uint8Array(7) }); // older: latest stays seq 10, both count
    await s.saveSnapshot('acme/s1', { seq: 20, ts: 1030, state: new Uint8Array(5) });
    expect(await mine()).toEqual(recompute());
    expect(await s.prune(1_000_000)).toBeGreaterThan(0);
    expect(await mine()).toEqual(recompute());
    const s0 = (await s.stats()).find((x) => x.room === 'acme/s0')!;
    expect(s0.lastSeq).toBe(20);
    await s.close();
  });

  it('backfills stats when opening a database written before they existed', async () => {
    const dir = tempDir();
    const s = new SqliteStorage({ dataDir: dir });
    await s.init();
    await s.append('acme/old', [u([1, 2, 3], 5), u([4], 6)]);
    await s.saveSnapshot('acme/old', { seq: 1, ts: 5, state: new Uint8Array(9) });
    await s.close();
    const raw = new Database(path.join(dir, 'collab.sqlite'));
    raw.exec('DROP TABLE room_stats');
    raw.pragma('user_version = 0');
    raw.close();
    const again = new SqliteStorage({ dataDir: dir });
    await again.init();
    expect(await again.stats()).toEqual([
      { room: 'acme/old', org: 'acme', ops: 2, bytes: 4 + 9, lastSeq: 2, lastTs: 6 },
    ]);
    await again.close();
  });
});
