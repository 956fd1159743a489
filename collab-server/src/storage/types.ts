/**
 * The storage contract of a collab pod. SQLite (embedded default) and
 * PostgreSQL implement it; one shared test suite runs against both.
 *
 * Model: per room, an append-only, timestamped log of Yjs updates (the source
 * for history / time travel, kept for a configurable retention) plus snapshots
 * (a merged Yjs state covering the log up to `seq`) written by compaction so a
 * room loads from one snapshot plus the few updates after it.
 *
 * Retention (`prune`): every instant from the cut-off on stays rebuildable
 * exactly (newest snapshot at or before it + the log after that snapshot up to
 * it). Per room the newest snapshot at or before the cut-off is the window's
 * base; older snapshots and the log entries the base covers (and that are older
 * than the cut-off) go. Snapshots newer than the base are thinned to the newest
 * of each `snapshotIntervalMs` plus the latest: the log after the base is kept
 * whole, so any instant still rebuilds from an older snapshot plus the log.
 */

import type {
  HistoryQuery,
  LoadedRoom,
  RoomStorageStats,
  Snapshot,
  StoredUpdate,
} from '@collabblocks/monitor';

/**
 * The log entry, snapshot and stats shapes are the monitor's (`HistoryStore` of
 * `@collabblocks/monitor`): the inspect bridge reads this storage through it.
 */
export type {
  HistoryQuery,
  LoadedRoom,
  RoomStorageStats,
  Snapshot,
  StoredUpdate,
} from '@collabblocks/monitor';

/** An update to append: a log entry before storage assigned its `seq`. */
export type NewUpdate = Omit<StoredUpdate, 'seq'>;

export interface PruneOptions {
  /**
   * Snapshots newer than a room's window base are thinned to the newest one of
   * each interval of this length (epoch-aligned), plus the room's latest.
   * 0 keeps every snapshot. Default `DEFAULT_SNAPSHOT_INTERVAL_MS` (1 h).
   */
  snapshotIntervalMs?: number;
}

/** Default `PruneOptions.snapshotIntervalMs`: one retained snapshot per hour. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 3_600_000;

/** Validates `PruneOptions` and returns the snapshot interval to apply (0 = no thinning). */
export function snapshotIntervalOf(options: PruneOptions | undefined): number {
  const v = options?.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new TypeError('prune: snapshotIntervalMs must be an integer >= 0');
  }
  return v;
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  /** Opens the database and runs migrations. */
  init(): Promise<void>;
  /**
   * Appends updates to a room's log. Resolves only once they are durable;
   * returns the assigned seqs in input order. Implementations may group-commit
   * (e.g. one transaction per event-loop tick across rooms).
   */
  append(room: string, updates: NewUpdate[]): Promise<number[]>;
  /** Latest snapshot plus the log after it. */
  load(room: string): Promise<LoadedRoom>;
  /**
   * Stores a snapshot (compaction). Older snapshots may be kept for history. A
   * snapshot at a seq already stored is ignored: both hold the same log prefix,
   * so the first one stays (and the byte accounting stays exact across pods).
   */
  saveSnapshot(room: string, snapshot: Snapshot): Promise<void>;
  /** Log entries with fromTs <= ts <= toTs in seq order, at most `limit`. */
  readRange(query: HistoryQuery): Promise<StoredUpdate[]>;
  /** Log entries with seq > afterSeq in seq order (catch-up), at most `limit`. */
  readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]>;
  /**
   * The snapshot with the highest seq among those whose ts <= the given time,
   * for time travel; null if none.
   */
  snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null>;
  /**
   * Retention (see the model above): keeps every instant >= `olderThanTs`
   * rebuildable exactly and the current state loadable; drops the snapshots
   * older than each room's window base, the log entries that base covers with
   * ts < `olderThanTs`, and thins the snapshots after the base. Rooms without a
   * snapshot at or before the cut-off keep their whole log. Returns the number
   * of log entries removed.
   */
  prune(olderThanTs: number, options?: PruneOptions): Promise<number>;
  /** Per-room sizes (for quotas, `/api/rooms` and storage metrics). */
  stats(): Promise<RoomStorageStats[]>;
  /**
   * Optional: highest seq written per room (rooms never written are absent), in
   * one query. Cross-pod fan-out uses it for its periodic catch-up sweep.
   */
  heads?(rooms: string[]): Promise<Map<string, number>>;
  /** Flushes pending group commits and closes the database. */
  close(): Promise<void>;
}
