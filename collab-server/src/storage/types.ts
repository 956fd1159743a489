/**
 * The storage contract of a collab pod. SQLite (embedded default) and
 * PostgreSQL implement it; one shared test suite runs against both.
 *
 * Model: per room, an append-only, timestamped log of Yjs updates (the source
 * for history / time travel, kept for a configurable retention) plus snapshots
 * (a merged Yjs state covering the log up to `seq`) written by compaction so a
 * room loads from one snapshot plus the few updates after it.
 */

export interface NewUpdate {
  /** Yjs client id that authored the update (0 when unknown). */
  clientId: number;
  /** Wall-clock time the pod received it, epoch milliseconds. */
  ts: number;
  /** The Yjs update (v1 encoding). */
  update: Uint8Array;
}

export interface StoredUpdate extends NewUpdate {
  /** Per-room sequence number, strictly increasing, gap-free per room. */
  seq: number;
}

export interface Snapshot {
  /** Highest log `seq` folded into `state` (0 = empty log). */
  seq: number;
  /** Time of the newest update folded in, epoch milliseconds. */
  ts: number;
  /** `Y.encodeStateAsUpdate` of the merged document. */
  state: Uint8Array;
}

export interface LoadedRoom {
  /** Latest snapshot, or null for a room never compacted. */
  snapshot: Snapshot | null;
  /** Every log entry with seq > snapshot.seq, in seq order. */
  updates: StoredUpdate[];
}

export interface RoomStorageStats {
  room: string;
  org: string;
  /** Bytes held for the room (log + latest snapshot). */
  bytes: number;
  /** Number of log entries currently retained. */
  ops: number;
  /** Highest seq written. */
  lastSeq: number;
  /** Time of the newest log entry, epoch ms (0 when none). */
  lastTs: number;
}

export interface HistoryQuery {
  room: string;
  /** Inclusive lower bound, epoch ms. */
  fromTs: number;
  /** Inclusive upper bound, epoch ms. */
  toTs: number;
  /** Maximum number of entries returned (callers bound this). */
  limit: number;
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
  /** Stores a snapshot (compaction). Older snapshots may be kept for history. */
  saveSnapshot(room: string, snapshot: Snapshot): Promise<void>;
  /** Log entries with fromTs <= ts <= toTs in seq order, at most `limit`. */
  readRange(query: HistoryQuery): Promise<StoredUpdate[]>;
  /** Log entries with seq > afterSeq in seq order (catch-up), at most `limit`. */
  readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]>;
  /** The newest snapshot whose ts <= the given time, for time travel; null if none. */
  snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null>;
  /**
   * Drops log entries and superseded snapshots older than `olderThanTs`, never
   * removing what is needed to rebuild the current state. Returns entries removed.
   */
  prune(olderThanTs: number): Promise<number>;
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
