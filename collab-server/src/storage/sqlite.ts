/**
 * Embedded durable storage on SQLite (better-sqlite3, WAL mode).
 *
 * Durability: `append` resolves only after the transaction holding the rows
 * has committed. With `journal_mode=WAL`:
 *  - `synchronous=NORMAL` (default): a committed transaction survives a crash
 *    or SIGKILL of the process (the WAL is in the OS page cache, which outlives
 *    the process); a power loss / kernel crash may lose the last commits.
 *  - `synchronous=FULL`: the WAL is fsynced on every commit, so commits also
 *    survive power loss, at the cost of one fsync per group commit.
 *
 * Group commit (`groupCommit.ts`, shared with PostgreSQL): appends made during
 * one event-loop turn are queued and written in ONE transaction from a
 * `setImmediate` callback, then every caller is
 * resolved (in call order). better-sqlite3 is synchronous, so the transaction
 * itself blocks the loop briefly; batching keeps that to one commit per turn.
 *
 * Seqs are assigned per room inside the transaction (last seq cached in memory,
 * loaded from the DB on first use) so they are gap-free and strictly increasing;
 * a failed transaction rolls back and advances nothing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  snapshotIntervalOf,
  type HistoryQuery,
  type LoadedRoom,
  type NewUpdate,
  type PruneOptions,
  type RoomStorageStats,
  type Snapshot,
  type Storage,
  type StoredUpdate,
} from './types.js';
import { toError } from '@collabblocks/protocol';
import { GroupCommit, type QueuedAppend } from './groupCommit.js';
import {
  afterSeqOf,
  checkAppend,
  checkRange,
  checkRoom,
  checkSnapshot,
  readLimit,
  storedTime,
  timeOf,
} from './validate.js';

export interface SqliteStorageOptions {
  /** Directory holding the DB file (created if missing). */
  dataDir: string;
  /** `normal` (default, crash-safe in WAL) or `full` (power-loss safe). */
  sync?: 'normal' | 'full';
  /** DB file name inside `dataDir`, default `collab.sqlite`. */
  fileName?: string;
}

interface UpdateRow {
  seq: number;
  ts: number;
  client_id: number;
  bytes: Buffer;
}

interface SnapshotRow {
  seq: number;
  ts: number;
  state: Buffer;
}

const toUpdate = (r: UpdateRow): StoredUpdate => ({
  seq: r.seq,
  ts: r.ts,
  clientId: r.client_id,
  update: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength),
});

const toSnapshot = (r: SnapshotRow): Snapshot => ({
  seq: r.seq,
  ts: r.ts,
  state: new Uint8Array(r.state.buffer, r.state.byteOffset, r.state.byteLength),
});

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class SqliteStorage implements Storage {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  private readonly sync: 'normal' | 'full';
  private db: Database.Database | null = null;
  /** Appends of one event-loop turn are written in one transaction (`groupCommit.ts`). */
  private readonly group = new GroupCommit({
    commit: (batch) => this.commit(batch),
    onFailure: 'split',
  });
  private readonly lastSeq = new Map<string, number>();
  private closed = false;
  private stmts!: ReturnType<SqliteStorage['prepare']>;

  constructor(opts: SqliteStorageOptions) {
    this.file = path.join(opts.dataDir, opts.fileName ?? 'collab.sqlite');
    this.sync = opts.sync ?? 'normal';
  }

  async init(): Promise<void> {
    if (this.db) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS updates (
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        client_id INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (room, seq)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS updates_room_ts ON updates (room, ts);
      CREATE TABLE IF NOT EXISTS snapshots (
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (room, seq)
      );
      CREATE INDEX IF NOT EXISTS snapshots_room_ts ON snapshots (room, ts);
      CREATE TABLE IF NOT EXISTS room_stats (
        room TEXT PRIMARY KEY,
        ops INTEGER NOT NULL DEFAULT 0,
        log_bytes INTEGER NOT NULL DEFAULT 0,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_ts INTEGER NOT NULL DEFAULT 0,
        snap_seq INTEGER NOT NULL DEFAULT 0,
        snap_bytes INTEGER NOT NULL DEFAULT 0,
        snap_ts INTEGER NOT NULL DEFAULT 0,
        snap_count INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
    `);
    // Per-room aggregates maintained by every write, so stats() is O(rooms) instead
    // of a scan of the whole log (it runs on the event loop, periodically).
    // v1: log ops/bytes + the latest snapshot's bytes. v2: every retained snapshot
    // counts (snap_bytes is their sum, snap_count their number); recomputed once.
    if ((db.pragma('user_version', { simple: true }) as number) < 2) {
      db.transaction(() => {
        const cols = db.prepare<[], { name: string }>('PRAGMA table_info(room_stats)').all();
        if (!cols.some((c) => c.name === 'snap_count')) {
          db.exec('ALTER TABLE room_stats ADD COLUMN snap_count INTEGER NOT NULL DEFAULT 0');
        }
        db.exec(`
          DELETE FROM room_stats;
          INSERT INTO room_stats (room, ops, log_bytes, last_seq, last_ts)
            SELECT room, COUNT(*), SUM(LENGTH(bytes)), MAX(seq), MAX(ts) FROM updates GROUP BY room;
          INSERT INTO room_stats (room, snap_seq, snap_ts, snap_bytes, snap_count)
            SELECT s.room, s.seq, s.ts, a.bytes, a.n FROM snapshots s
            JOIN (SELECT room, MAX(seq) AS seq, SUM(LENGTH(state)) AS bytes, COUNT(*) AS n
                  FROM snapshots GROUP BY room) a ON a.room = s.room AND a.seq = s.seq
          ON CONFLICT (room) DO UPDATE SET
            snap_seq = excluded.snap_seq, snap_ts = excluded.snap_ts,
            snap_bytes = excluded.snap_bytes, snap_count = excluded.snap_count;
        `);
        db.pragma('user_version = 2');
      }).immediate();
    }
    this.db = db;
    this.stmts = this.prepare(db);
  }

  private prepare(db: Database.Database) {
    return {
      insert: db.prepare('INSERT INTO updates (room, seq, ts, client_id, bytes) VALUES (?, ?, ?, ?, ?)'),
      maxSeq: db.prepare<[string, string], { m: number | null }>(
        'SELECT MAX(m) AS m FROM (SELECT MAX(seq) AS m FROM updates WHERE room = ? ' +
          'UNION ALL SELECT MAX(seq) AS m FROM snapshots WHERE room = ?)'
      ),
      latestSnapshot: db.prepare<[string], SnapshotRow>(
        'SELECT seq, ts, state FROM snapshots WHERE room = ? ORDER BY seq DESC LIMIT 1'
      ),
      after: db.prepare<[string, number, number], UpdateRow>(
        'SELECT seq, ts, client_id, bytes FROM updates WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?'
      ),
      afterAll: db.prepare<[string, number], UpdateRow>(
        'SELECT seq, ts, client_id, bytes FROM updates WHERE room = ? AND seq > ? ORDER BY seq'
      ),
      range: db.prepare<[string, number, number, number], UpdateRow>(
        'SELECT seq, ts, client_id, bytes FROM updates WHERE room = ? AND ts >= ? AND ts <= ? ORDER BY seq LIMIT ?'
      ),
      // First write of a seq wins (see Storage.saveSnapshot): the byte accounting stays exact.
      saveSnapshot: db.prepare('INSERT OR IGNORE INTO snapshots (room, seq, ts, state) VALUES (?, ?, ?, ?)'),
      snapshotAt: db.prepare<[string, number], SnapshotRow>(
        'SELECT seq, ts, state FROM snapshots WHERE room = ? AND ts <= ? ORDER BY seq DESC LIMIT 1'
      ),
      stats: db.prepare<[], { room: string; ops: number; bytes: number; lastSeq: number; lastTs: number }>(
        'SELECT room, ops, log_bytes + snap_bytes AS bytes, MAX(last_seq, snap_seq) AS lastSeq, ' +
          'MAX(last_ts, snap_ts) AS lastTs FROM room_stats'
      ),
      statsAppend: db.prepare(
        'INSERT INTO room_stats (room, ops, log_bytes, last_seq, last_ts) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (room) DO UPDATE SET ops = ops + excluded.ops, log_bytes = log_bytes + excluded.log_bytes, ' +
          'last_seq = MAX(last_seq, excluded.last_seq), last_ts = MAX(last_ts, excluded.last_ts)'
      ),
      statsSnapshot: db.prepare<[string, number, number, number]>(
        'INSERT INTO room_stats (room, snap_seq, snap_bytes, snap_ts, snap_count) VALUES (?, ?, ?, ?, 1) ' +
          'ON CONFLICT (room) DO UPDATE SET snap_bytes = snap_bytes + excluded.snap_bytes, ' +
          'snap_count = snap_count + 1, ' +
          'snap_ts = CASE WHEN excluded.snap_seq >= snap_seq THEN excluded.snap_ts ELSE snap_ts END, ' +
          'snap_seq = MAX(snap_seq, excluded.snap_seq)'
      ),
      statsPruned: db.prepare<[number, number, number, number, string]>(
        'UPDATE room_stats SET ops = ops - ?, log_bytes = log_bytes - ?, snap_count = snap_count - ?, ' +
          'snap_bytes = snap_bytes - ? WHERE room = ?'
      ),
      prunable: db.prepare<[string, number, number], { n: number; b: number | null }>(
        'SELECT COUNT(*) AS n, SUM(LENGTH(bytes)) AS b FROM updates WHERE room = ? AND seq <= ? AND ts < ?'
      ),
      // Rooms where a prune may remove something: more than one snapshot, or a snapshot and a log.
      pruneCandidates: db.prepare<[], { room: string }>(
        'SELECT room FROM room_stats WHERE snap_count > 1 OR (snap_count > 0 AND ops > 0)'
      ),
      latestSeq: db.prepare<[string], { seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM snapshots WHERE room = ?'
      ),
      baseSeq: db.prepare<[string, number], { seq: number }>(
        'SELECT seq FROM snapshots WHERE room = ? AND ts <= ? ORDER BY seq DESC LIMIT 1'
      ),
      pruneUpdates: db.prepare<[string, number, number]>(
        'DELETE FROM updates WHERE room = ? AND seq <= ? AND ts < ?'
      ),
      // Snapshots before the base go; after it, all but the newest of each interval (every > 0);
      // the latest always stays. Returns the size of each removed snapshot.
      pruneSnapshots: db.prepare<
        { room: string; base: number; latest: number; every: number },
        { b: number }
      >(
        `DELETE FROM snapshots WHERE room = @room AND seq <> @latest AND (
           seq < @base OR (@every > 0 AND seq > @base AND seq NOT IN (
             SELECT MAX(seq) FROM snapshots WHERE room = @room AND seq > @base GROUP BY ts / CAST(@every AS INTEGER))))
         RETURNING LENGTH(state) AS b`
      ),
    };
  }

  private requireDb(): Database.Database {
    if (this.closed) throw new Error('sqlite storage is closed');
    if (!this.db) throw new Error('sqlite storage is not initialised (call init())');
    return this.db;
  }

  append(room: string, updates: NewUpdate[]): Promise<number[]> {
    let bytes: number;
    try {
      // Checked before queueing, so one bad call cannot fail a batch.
      bytes = checkAppend(room, updates);
      this.requireDb();
    } catch (err) {
      return Promise.reject(toError(err));
    }
    return this.group.enqueue(room, updates, bytes);
  }

  /** Number of group commits done (for tests and metrics). */
  commits = 0;

  private currentSeq(room: string): number {
    let s = this.lastSeq.get(room);
    if (s === undefined) {
      s = this.stmts.maxSeq.get(room, room)?.m ?? 0;
      this.lastSeq.set(room, s);
    }
    return s;
  }

  /** Inserts one append's rows inside the current transaction; returns its seqs. */
  private insertRows(p: QueuedAppend, next: Map<string, number>): number[] {
    let seq = next.get(p.room) ?? this.currentSeq(p.room);
    const seqs: number[] = [];
    let bytes = 0;
    let lastTs = 0;
    for (const u of p.updates) {
      seq += 1;
      const ts = storedTime(u.ts);
      this.stmts.insert.run(p.room, seq, ts, u.clientId, buf(u.update));
      seqs.push(seq);
      bytes += u.update.byteLength;
      lastTs = Math.max(lastTs, ts);
    }
    this.stmts.statsAppend.run(p.room, p.updates.length, bytes, seq, lastTs);
    next.set(p.room, seq);
    return seqs;
  }

  /**
   * Writes one batch in ONE transaction. Seqs are assigned from the per-room cache, which is only
   * advanced once the transaction committed; on failure the batch's rooms are dropped from it
   * (reloaded from the DB) and nothing was written.
   */
  private commit(batch: QueuedAppend[]): number[][] {
    const db = this.requireDb();
    const next = new Map<string, number>();
    try {
      const results = db.transaction(() => batch.map((p) => this.insertRows(p, next))).immediate();
      this.commits += 1;
      for (const [room, seq] of next) this.lastSeq.set(room, seq);
      return results;
    } catch (err) {
      for (const p of batch) this.lastSeq.delete(p.room);
      throw err;
    }
  }

  async load(room: string): Promise<LoadedRoom> {
    checkRoom(room);
    this.requireDb();
    const snap = this.stmts.latestSnapshot.get(room);
    const snapshot = snap ? toSnapshot(snap) : null;
    const updates = this.stmts.afterAll.all(room, snapshot?.seq ?? 0).map(toUpdate);
    return { snapshot, updates };
  }

  async saveSnapshot(room: string, snapshot: Snapshot): Promise<void> {
    const ts = checkSnapshot(room, snapshot);
    const db = this.requireDb();
    db.transaction(() => {
      if (this.stmts.saveSnapshot.run(room, snapshot.seq, ts, buf(snapshot.state)).changes === 0) return;
      this.stmts.statsSnapshot.run(room, snapshot.seq, snapshot.state.byteLength, ts);
    }).immediate();
  }

  async readRange(q: HistoryQuery): Promise<StoredUpdate[]> {
    const { room, fromTs, toTs, limit } = checkRange(q);
    this.requireDb();
    return this.stmts.range.all(room, fromTs, toTs, limit).map(toUpdate);
  }

  async readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]> {
    checkRoom(room);
    const after = afterSeqOf(afterSeq);
    const l = readLimit(limit);
    this.requireDb();
    return this.stmts.after.all(room, after, l).map(toUpdate);
  }

  async snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null> {
    checkRoom(room);
    const at = timeOf(ts, 'ts');
    this.requireDb();
    const r = this.stmts.snapshotAt.get(room, at);
    return r ? toSnapshot(r) : null;
  }

  /**
   * Retention (the model in `types.ts`), per room: the base is the newest
   * snapshot with ts <= the cut-off; snapshots before it go, and the log entries
   * it covers with ts < cut-off; snapshots after it are thinned to the newest of
   * each `snapshotIntervalMs`; the latest snapshot and every log entry after the
   * base always stay. Rooms without a base keep their whole log.
   */
  async prune(olderThanTs: number, options?: PruneOptions): Promise<number> {
    const cut = timeOf(olderThanTs, 'prune: olderThanTs');
    const every = snapshotIntervalOf(options);
    const db = this.requireDb();
    const pruneRoom = db.transaction((room: string): number => {
      const latest = this.stmts.latestSeq.get(room)?.seq;
      if (latest === null || latest === undefined) return 0;
      const base = this.stmts.baseSeq.get(room, cut)?.seq ?? -1;
      let ops = 0;
      let opBytes = 0;
      if (base >= 0) {
        const gone = this.stmts.prunable.get(room, base, cut);
        if (gone && gone.n > 0) {
          ops = this.stmts.pruneUpdates.run(room, base, cut).changes;
          opBytes = gone.b ?? 0;
        }
      }
      const snaps = this.stmts.pruneSnapshots.all({ room, base, latest, every });
      const snapBytes = snaps.reduce((n, r) => n + r.b, 0);
      if (ops > 0 || snaps.length > 0)
        this.stmts.statsPruned.run(ops, opBytes, snaps.length, snapBytes, room);
      return ops;
    });
    let removed = 0;
    // One short transaction per room, yielding to the event loop in between, so a
    // large prune never stalls connections for long.
    for (const { room } of this.stmts.pruneCandidates.all()) {
      if (this.closed) break;
      removed += pruneRoom.immediate(room);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return removed;
  }

  /** Per-room sizes from the `room_stats` aggregates (O(rooms), no log scan). */
  async stats(): Promise<RoomStorageStats[]> {
    this.requireDb();
    return this.stmts.stats.all().map((r) => ({
      room: r.room,
      org: r.room.split('/')[0] ?? '',
      bytes: r.bytes,
      ops: r.ops,
      lastSeq: r.lastSeq,
      lastTs: r.lastTs,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.db) {
      // Everything queued is written first (commits are synchronous: this takes a turn or two).
      await this.group.whenDrained(5000);
      this.group.stop(() => new Error('sqlite storage is closed'));
      this.db.close();
    }
    this.closed = true;
    this.db = null;
  }
}
