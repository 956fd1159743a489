/**
 * PostgreSQL storage (`COLLAB_STORAGE=postgres`, `COLLAB_PG_URL`), for running
 * several pods against one database.
 *
 * - Schema: the design's `ops(room_id, seq, site_id, ts, op_bin)` log,
 *   `PARTITION BY HASH (room_id)` into N partitions (fixed when first created),
 *   plus `snapshots` and `room_heads` (the per-room seq counter and the room's
 *   storage aggregates: ops, log bytes, snapshot count and bytes — kept exact by
 *   the append, snapshot and prune statements, so `stats()` reads one row per
 *   room instead of scanning the log).
 * - Seqs are assigned inside the insert transaction: `room_heads` is bumped with
 *   `INSERT .. ON CONFLICT DO UPDATE .. RETURNING`, which row-locks the room's
 *   counter until commit, so concurrent pods get globally consistent, gap-free
 *   seqs. Rooms of one batch are locked in sorted order (no deadlocks).
 * - Group commit: appends queue up and go out as one transaction per flush
 *   (at most one in flight); `append` resolves only once its commit succeeded.
 * - PostgreSQL down: the batch is retried with backoff and stays held in memory
 *   (never acknowledged); once the held bytes/ops reach the bound, `append`
 *   rejects at once with `StorageUnavailableError` (close code 4503).
 * - Migrations are versioned, idempotent and run under an advisory lock.
 *
 * This file is the `Storage` API and its queries; beside it: the schema and migrations
 * (`postgresSchema.ts`), the group commit's statement (`postgresCommit.ts`), the pool and error
 * accounting (`postgresConnection.ts`) and row conversions (`postgresRows.ts`).
 */
import type pg from 'pg';
import type { Registry, RegistryContentType } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Logger } from '../observability/logger.js';
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
import { commitBatch } from './postgresCommit.js';
import { PostgresConnection, type PostgresStorageListener } from './postgresConnection.js';
import { num, orgOf, toBuffer, toSnapshot, toUpdate } from './postgresRows.js';
import { applyMigrations, PRUNE_LOCK_KEY, PRUNE_ROOM_SQL } from './postgresSchema.js';
import {
  afterSeqOf,
  checkAppend,
  checkRange,
  checkRoom,
  checkSnapshot,
  readLimit,
  timeOf,
} from './validate.js';

/** Thrown by `append` when writes cannot be accepted (maps to close code 4503). */
export class StorageUnavailableError extends Error {
  readonly code = 4503;
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

export type { PostgresStorageListener } from './postgresConnection.js';

export interface PostgresStorageOptions {
  /** `postgres://user@host:port/db` (never logged). */
  url: string;
  /** Hash partitions of `ops`, used only when the table is first created. Default 16. */
  partitions?: number;
  /** Bound on bytes held in memory while not yet durable. Default 16 MiB (`COLLAB_PG_MAX_PENDING_BYTES`). */
  maxPendingBytes?: number;
  /** Bound on updates held in memory while not yet durable. Default 20 000 (`COLLAB_PG_MAX_PENDING_OPS`). */
  maxPendingOps?: number;
  /** Most updates in one group commit. Default 1000. */
  maxBatchOps?: number;
  /** Pool size. Default 8. */
  poolSize?: number;
  /** Bound on one statement, ms (`COLLAB_PG_QUERY_TIMEOUT_MS`; see `PostgresConnectionOptions`). Default 15 000. */
  queryTimeoutMs?: number;
  /** Backoff between retries of a failed commit, ms. Default 50 → 2000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long `close()` waits for held updates to become durable. Default 5000 ms. */
  closeTimeoutMs?: number;
  logger?: Logger;
  listener?: PostgresStorageListener;
  /** Registers `collab_pg_errors_total` and `collab_pg_pending_bytes` here when given. */
  registry?: Registry<RegistryContentType>;
}

export { SCHEMA_VERSION } from './postgresSchema.js';

export class PostgresStorage implements Storage {
  readonly kind = 'postgres' as const;
  /** The pool, and every failed call counted, logged and reported (connection health). */
  private readonly db: PostgresConnection;
  private readonly partitions: number;
  private readonly maxPendingBytes: number;
  private readonly maxPendingOps: number;
  private readonly closeTimeoutMs: number;
  private readonly log: Logger | undefined;

  /** Appends queue up and go out as one statement per batch, held and retried while the database is away. */
  private readonly group: GroupCommit;
  private closed = false;
  private initialised = false;
  private initRun: Promise<void> | null = null;
  private drained: Array<() => void> = [];

  constructor(opts: PostgresStorageOptions) {
    if (typeof opts.url !== 'string' || !/^postgres(ql)?:\/\//.test(opts.url)) {
      throw new Error('PostgreSQL storage needs a postgres:// URL (COLLAB_PG_URL)');
    }
    this.partitions = opts.partitions ?? 16;
    if (!Number.isInteger(this.partitions) || this.partitions < 1 || this.partitions > 1024) {
      throw new Error('partitions must be an integer between 1 and 1024');
    }
    this.maxPendingBytes = opts.maxPendingBytes ?? 16 * 1024 * 1024;
    this.maxPendingOps = opts.maxPendingOps ?? 20_000;
    this.group = new GroupCommit({
      commit: (batch) => commitBatch(this.db.pool, batch),
      onFailure: 'hold',
      maxBatchOps: opts.maxBatchOps ?? 1000,
      retryMinMs: opts.retryMinMs ?? 50,
      retryMaxMs: opts.retryMaxMs ?? 2000,
      onCommitted: (batch, durationMs) => this.committed(batch, durationMs),
      onError: (err) => this.db.recordError('append', err),
    });
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.log = opts.logger;
    this.db = new PostgresConnection({
      url: opts.url,
      poolSize: opts.poolSize ?? 8,
      ...(opts.queryTimeoutMs !== undefined ? { queryTimeoutMs: opts.queryTimeoutMs } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.listener ? { listener: opts.listener } : {}),
    });
    if (opts.registry) this.registerMetrics(opts.registry);
  }

  /** Registers `collab_pg_errors_total` and `collab_pg_pending_bytes` (once) on the pod's registry. */
  registerMetrics(registry: Registry<RegistryContentType>): void {
    if (!this.db.registerErrors(registry)) return;
    const gauge: Gauge = new Gauge({
      name: 'collab_pg_pending_bytes',
      help: 'Bytes of updates held in memory, not yet durable in PostgreSQL',
      registers: [registry],
      collect: () => gauge.set(this.group.pending.bytes),
    });
  }

  /** True while the last write reached the database; false while held updates are being retried. */
  get writable(): boolean {
    return this.group.writable;
  }

  /** Bytes and updates held in memory, not yet durable. */
  pending(): { bytes: number; ops: number } {
    return this.group.pending;
  }

  /** Cheap liveness probe for readiness checks. */
  ping(): Promise<boolean> {
    return this.db.ping();
  }

  /** Runs the migrations once; later calls (the pod's `main` and `listen` both call it) share the first. */
  init(): Promise<void> {
    this.initRun ??= this.migrate().catch((err: unknown) => {
      this.initRun = null;
      throw err;
    });
    return this.initRun;
  }

  private async migrate(): Promise<void> {
    // Not a pooled connection: a migration may rightly run longer than one pooled statement may.
    const client = await this.db.dedicated('migrate');
    try {
      await applyMigrations(client, this.partitions, this.log);
      this.initialised = true;
    } catch (err) {
      this.db.recordError('migrate', err);
      throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  append(room: string, updates: NewUpdate[]): Promise<number[]> {
    let size: number;
    try {
      // Checked before queueing, so one bad call cannot fail a batch.
      size = checkAppend(room, updates);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    if (this.closed) return Promise.reject(new StorageUnavailableError('storage is closed'));
    if (updates.length === 0) return Promise.resolve([]);
    const held = this.group.pending;
    if (
      held.ops > 0 &&
      (held.bytes + size > this.maxPendingBytes || held.ops + updates.length > this.maxPendingOps)
    ) {
      return Promise.reject(
        new StorageUnavailableError(
          `storage unavailable: ${held.ops} updates (${held.bytes} bytes) waiting to become durable`
        )
      );
    }
    return this.group.enqueue(room, updates, size);
  }

  /** A batch is durable: one `onPersist` for it (orgs, count, bytes, commit latency). */
  private committed(batch: QueuedAppend[], durationMs: number): void {
    let count = 0;
    let size = 0;
    const orgs = new Set<string>();
    for (const p of batch) {
      count += p.updates.length;
      size += p.bytes;
      orgs.add(orgOf(p.room));
    }
    this.db.persisted({ orgs: [...orgs], backend: 'postgres', count, bytes: size, durationMs });
  }

  async load(room: string): Promise<LoadedRoom> {
    checkRoom(room);
    // One consistent view: a concurrent compaction + prune cannot drop what we need.
    const client = await this.connect('load');
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snap = await client.query(
        'SELECT seq, ts, state FROM snapshots WHERE room_id = $1 ORDER BY seq DESC LIMIT 1',
        [room]
      );
      const snapshot = snap.rows[0] ? toSnapshot(snap.rows[0]) : null;
      const ops = await client.query(
        'SELECT seq, site_id, ts, op_bin FROM ops WHERE room_id = $1 AND seq > $2 ORDER BY seq',
        [room, snapshot?.seq ?? 0]
      );
      await client.query('COMMIT');
      return { snapshot, updates: ops.rows.map((r) => toUpdate(r)) };
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      this.db.recordError('load', err);
      throw err;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async saveSnapshot(room: string, snapshot: Snapshot): Promise<void> {
    const ts = checkSnapshot(room, snapshot);
    await this.query(
      'snapshot',
      // One statement: the snapshot and the room's aggregates. First write of a seq wins (see
      // Storage.saveSnapshot), so a snapshot is counted once even when two pods save the same seq.
      // A room never appended to gets its head here, its counter at the snapshot's seq.
      `WITH ins AS (
         INSERT INTO snapshots (room_id, seq, ts, state) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room_id, seq) DO NOTHING
         RETURNING octet_length(state) AS bytes
       )
       INSERT INTO room_heads (room_id, last_seq, last_ts, snap_count, snap_bytes)
       SELECT $1, $2, $3, 1, bytes FROM ins
       ON CONFLICT (room_id) DO UPDATE
         SET snap_count = room_heads.snap_count + 1, snap_bytes = room_heads.snap_bytes + EXCLUDED.snap_bytes`,
      [room, snapshot.seq, ts, toBuffer(snapshot.state)]
    );
  }

  async readRange(q: HistoryQuery): Promise<StoredUpdate[]> {
    const { room, fromTs, toTs, limit } = checkRange(q);
    if (limit === 0) return [];
    const r = await this.query(
      'read',
      `SELECT seq, site_id, ts, op_bin FROM ops
       WHERE room_id = $1 AND ts >= $2 AND ts <= $3 ORDER BY seq LIMIT $4`,
      [room, fromTs, toTs, limit]
    );
    return r.rows.map((row) => toUpdate(row));
  }

  async readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]> {
    checkRoom(room);
    const after = afterSeqOf(afterSeq);
    const n = readLimit(limit);
    if (n === 0) return [];
    const r = await this.query(
      'read',
      'SELECT seq, site_id, ts, op_bin FROM ops WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [room, after, n]
    );
    return r.rows.map((row) => toUpdate(row));
  }

  async snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null> {
    checkRoom(room);
    const at = timeOf(ts, 'ts');
    const r = await this.query(
      'read',
      'SELECT seq, ts, state FROM snapshots WHERE room_id = $1 AND ts <= $2 ORDER BY seq DESC LIMIT 1',
      [room, at]
    );
    return r.rows[0] ? toSnapshot(r.rows[0]) : null;
  }

  /**
   * Retention (the model in `types.ts`), by one pod at a time (session advisory
   * lock; a pod that finds it taken skips the run and returns 0), one statement
   * per room (so a prune holds the locks of one room at a time and never
   * deadlocks with a group commit): the base is the newest snapshot with
   * ts <= the cut-off; snapshots before it go, and the log entries it covers
   * with ts < cut-off; snapshots after it are thinned to the newest of each
   * `snapshotIntervalMs`; the latest snapshot and every log entry after the
   * base always stay.
   */
  async prune(olderThanTs: number, options?: PruneOptions): Promise<number> {
    const cut = timeOf(olderThanTs, 'prune: olderThanTs');
    const every = snapshotIntervalOf(options);
    const client = await this.connect('prune');
    let broken = false;
    let locked = false;
    try {
      // One pod prunes at a time; the others skip this run (the work is the same on every pod). Two
      // prunes with different cut-offs overlapping on one room could otherwise each keep what the
      // other drops (A thins away B's base while B, on an older view, drops the log that base covered).
      // Each room's statement below takes its view after the previous one committed.
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        PRUNE_LOCK_KEY,
      ]);
      locked = got.rows[0]?.ok === true;
      if (!locked) return 0;
      // Rooms where something may go: more than one snapshot, or a snapshot and a log (O(rooms)).
      const rooms = await client.query<{ room_id: string }>(
        'SELECT room_id FROM room_heads WHERE snap_count > 1 OR (snap_count > 0 AND ops > 0) ORDER BY room_id'
      );
      let removed = 0;
      for (const row of rooms.rows) {
        if (this.closed) break;
        const r = await client.query(PRUNE_ROOM_SQL, [row.room_id, cut, every]);
        removed += num((r.rows[0] as { ops?: unknown } | undefined)?.ops ?? 0);
      }
      return removed;
    } catch (err) {
      broken = true;
      this.db.recordError('prune', err);
      throw err;
    } finally {
      // A broken connection is destroyed, which releases the session lock with it.
      if (locked && !broken) {
        await client.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK_KEY]).catch(() => {
          broken = true;
        });
      }
      client.release(broken ? true : undefined);
    }
  }

  async stats(): Promise<RoomStorageStats[]> {
    // O(rooms): the aggregates kept by the write statements, no scan of the log.
    const r = await this.query(
      'stats',
      `SELECT room_id, last_seq, last_ts, ops, log_bytes + snap_bytes AS bytes FROM room_heads ORDER BY room_id`,
      []
    );
    return r.rows.map((row: Record<string, unknown>) => {
      const room = String(row.room_id);
      return {
        room,
        org: orgOf(room),
        bytes: num(row.bytes),
        ops: num(row.ops),
        lastSeq: num(row.last_seq),
        lastTs: num(row.last_ts),
      };
    });
  }

  async heads(rooms: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (rooms.length === 0) return out;
    for (const r of rooms) checkRoom(r);
    const res = await this.query(
      'read',
      'SELECT room_id, last_seq FROM room_heads WHERE room_id = ANY($1::text[])',
      [rooms]
    );
    for (const row of res.rows as Array<Record<string, unknown>>)
      out.set(String(row.room_id), num(row.last_seq));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Held updates keep being retried for up to closeTimeoutMs; what is still not durable then is refused.
    await this.group.whenDrained(this.closeTimeoutMs);
    const left = this.group.stop(
      () => new StorageUnavailableError('storage closed before the update became durable')
    );
    if (left > 0) this.log?.warn({ held: left }, 'postgres storage closed with undurable updates');
    await this.db.end();
  }

  private async connect(op: string): Promise<pg.PoolClient> {
    this.checkInitialised();
    return this.db.connect(op);
  }

  private checkInitialised(): void {
    // Not a database error (no metric, no log): the caller is early (e.g. a stats refresh before init).
    if (!this.initialised) throw new Error('postgres storage is not initialised (call init())');
  }

  private async query(op: string, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    this.checkInitialised();
    return this.db.query(op, sql, params);
  }
}

/** The part of the pod config (`src/config.ts`) this backend reads. */
export interface PostgresStorageConfig {
  storage: {
    /** `COLLAB_PG_URL` (or `COLLAB_POSTGRES_URL` / `DATABASE_URL`). */
    postgresUrl?: string;
    /** `COLLAB_PG_MAX_PENDING_BYTES`. */
    pgMaxPendingBytes?: number;
    /** `COLLAB_PG_MAX_PENDING_OPS`. */
    pgMaxPendingOps?: number;
    /** `COLLAB_PG_QUERY_TIMEOUT_MS`. */
    pgQueryTimeoutMs?: number;
  };
}

/** Factory used by `storage/index.ts` for `COLLAB_STORAGE=postgres`. */
export function createPostgresStorage(
  config: PostgresStorageConfig,
  extra: Omit<Partial<PostgresStorageOptions>, 'url'> = {}
): PostgresStorage {
  const url = config.storage.postgresUrl;
  if (!url) throw new Error('COLLAB_STORAGE=postgres requires COLLAB_PG_URL');
  return new PostgresStorage({
    ...extra,
    url,
    ...(config.storage.pgMaxPendingBytes !== undefined
      ? { maxPendingBytes: config.storage.pgMaxPendingBytes }
      : {}),
    ...(config.storage.pgMaxPendingOps !== undefined
      ? { maxPendingOps: config.storage.pgMaxPendingOps }
      : {}),
    ...(config.storage.pgQueryTimeoutMs !== undefined
      ? { queryTimeoutMs: config.storage.pgQueryTimeoutMs }
      : {}),
  });
}
