/**
 * PostgreSQL schema of the storage backend (`postgres.ts`): the versioned,
 * idempotent migrations and their runner (under an advisory lock), and the
 * per-room prune statement.
 */
import type { Logger } from '../observability/logger.js';
import { num } from './postgresRows.js';

/** Advisory lock held while migrations run (one pod at a time). */
export const MIGRATION_LOCK_KEY = 0x636f6c6c; // 'coll'
/** Session advisory lock held by the one pod pruning at a time. */
export const PRUNE_LOCK_KEY = 0x70727565; // 'prue'

export interface Migration {
  version: number;
  statements(partitions: number): string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: (n) => [
      `CREATE TABLE IF NOT EXISTS ops (
         room_id TEXT NOT NULL,
         seq BIGINT NOT NULL,
         site_id BIGINT NOT NULL,
         ts BIGINT NOT NULL,
         op_bin BYTEA NOT NULL,
         PRIMARY KEY (room_id, seq)
       ) PARTITION BY HASH (room_id)`,
      ...Array.from(
        { length: n },
        (_, i) =>
          `CREATE TABLE IF NOT EXISTS ops_p${i} PARTITION OF ops FOR VALUES WITH (MODULUS ${n}, REMAINDER ${i})`
      ),
      `CREATE INDEX IF NOT EXISTS ops_room_ts ON ops (room_id, ts)`,
      `CREATE TABLE IF NOT EXISTS snapshots (
         room_id TEXT NOT NULL,
         seq BIGINT NOT NULL,
         ts BIGINT NOT NULL,
         state BYTEA NOT NULL,
         PRIMARY KEY (room_id, seq)
       )`,
      `CREATE INDEX IF NOT EXISTS snapshots_room_ts ON snapshots (room_id, ts)`,
      `CREATE TABLE IF NOT EXISTS room_heads (
         room_id TEXT PRIMARY KEY,
         last_seq BIGINT NOT NULL,
         last_ts BIGINT NOT NULL DEFAULT 0
       )`,
    ],
  },
  {
    // Per-room storage aggregates, maintained by the write statements (stats() was a GROUP BY over the
    // whole log every 15 s on every pod). The ALTER locks room_heads until commit, so no append (any
    // pod version) runs during the backfill: the counts start exact.
    version: 2,
    statements: () => [
      `ALTER TABLE room_heads
         ADD COLUMN IF NOT EXISTS ops BIGINT NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS log_bytes BIGINT NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS snap_count BIGINT NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS snap_bytes BIGINT NOT NULL DEFAULT 0`,
      `LOCK TABLE ops, snapshots IN SHARE MODE`,
      `INSERT INTO room_heads (room_id, last_seq, last_ts)
         SELECT room_id, max(seq), max(ts) FROM snapshots GROUP BY room_id
       ON CONFLICT (room_id) DO NOTHING`,
      `UPDATE room_heads h SET ops = a.n, log_bytes = a.b
         FROM (SELECT room_id, count(*) AS n, COALESCE(sum(octet_length(op_bin)), 0) AS b
               FROM ops GROUP BY room_id) a
         WHERE a.room_id = h.room_id`,
      `UPDATE room_heads h SET snap_count = a.n, snap_bytes = a.b
         FROM (SELECT room_id, count(*) AS n, COALESCE(sum(octet_length(state)), 0) AS b
               FROM snapshots GROUP BY room_id) a
         WHERE a.room_id = h.room_id`,
    ],
  },
];

/**
 * Prunes one room ($1) for cut-off $2 and snapshot interval $3 (0 = no thinning); returns the
 * log entries removed. All in one statement (one view of the room's rows; the aggregates on
 * room_heads drop by exactly what the DELETEs removed). Run under the prune lock (see `prune`).
 */
export const PRUNE_ROOM_SQL = `
  WITH base AS (
    SELECT COALESCE((SELECT seq FROM snapshots WHERE room_id = $1 AND ts <= $2 ORDER BY seq DESC LIMIT 1), -1) AS seq
  ), latest AS (
    SELECT max(seq) AS seq FROM snapshots WHERE room_id = $1
  ), keep AS (
    SELECT DISTINCT ON (s.ts / NULLIF($3::bigint, 0)) s.seq
    FROM snapshots s, base b
    WHERE s.room_id = $1 AND s.seq > b.seq AND $3::bigint > 0
    ORDER BY s.ts / NULLIF($3::bigint, 0), s.seq DESC
  ), snaps_gone AS (
    DELETE FROM snapshots s USING base b, latest l
    WHERE s.room_id = $1 AND s.seq <> l.seq
      AND (s.seq < b.seq OR ($3::bigint > 0 AND s.seq > b.seq AND s.seq NOT IN (SELECT seq FROM keep)))
    RETURNING octet_length(s.state) AS bytes
  ), ops_gone AS (
    DELETE FROM ops o USING base b
    WHERE o.room_id = $1 AND b.seq >= 0 AND o.seq <= b.seq AND o.ts < $2
    RETURNING octet_length(o.op_bin) AS bytes
  ), gone AS (
    SELECT (SELECT count(*) FROM ops_gone) AS ops, (SELECT COALESCE(sum(bytes), 0) FROM ops_gone) AS ops_bytes,
           (SELECT count(*) FROM snaps_gone) AS snaps, (SELECT COALESCE(sum(bytes), 0) FROM snaps_gone) AS snap_bytes
  ), counted AS (
    -- Executed although not referenced (data-modifying CTEs always run to completion).
    UPDATE room_heads h
    SET ops = h.ops - g.ops, log_bytes = h.log_bytes - g.ops_bytes,
        snap_count = h.snap_count - g.snaps, snap_bytes = h.snap_bytes - g.snap_bytes
    FROM gone g
    WHERE h.room_id = $1 AND (g.ops > 0 OR g.snaps > 0)
    RETURNING 1
  )
  SELECT g.ops, g.snaps FROM gone g`;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The connection `applyMigrations` runs on (a checked-out pool client). */
export interface MigrationClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[]
  ): Promise<{ rows: R[] }>;
}

/**
 * Applies the migrations not applied yet, each in its own transaction, under the migration advisory
 * lock (pods starting together wait for each other). `partitions` is used only when `ops` is created.
 */
export async function applyMigrations(
  client: MigrationClient,
  partitions: number,
  log?: Pick<Logger, 'info'>
): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS collab_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`
    );
    const done = await client.query<{ version: number }>('SELECT version FROM collab_migrations');
    const applied = new Set(done.rows.map((r) => num(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        for (const sql of m.statements(partitions)) await client.query(sql);
        await client.query('INSERT INTO collab_migrations (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
        log?.info({ version: m.version }, 'postgres migration applied');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
