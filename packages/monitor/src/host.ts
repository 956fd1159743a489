/**
 * What the monitor reads from the server that hosts it. For now: the optional stored history
 * (timestamped update log plus snapshots) that `history` and `historyTree` requests, and the
 * tree of rooms not loaded on this host, read. The collab pod's `Storage` (SQLite, PostgreSQL)
 * satisfies `HistoryStore`.
 */

/** One entry of a room's update log. */
export interface StoredUpdate {
  /** Per-room sequence number, strictly increasing, gap-free per room. */
  seq: number;
  /** Yjs client id that authored the update (0 when unknown). */
  clientId: number;
  /** Wall-clock time the host received it, epoch milliseconds. */
  ts: number;
  /** The Yjs update (v1 encoding). */
  update: Uint8Array;
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
  /** Bytes held for the room: every retained log entry plus every retained snapshot. */
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

/** The read side of a timestamped update log with snapshots. */
export interface HistoryStore {
  /** Latest snapshot plus the log after it. */
  load(room: string): Promise<LoadedRoom>;
  /** Log entries with fromTs <= ts <= toTs in seq order, at most `limit`. */
  readRange(query: HistoryQuery): Promise<StoredUpdate[]>;
  /** Log entries with seq > afterSeq in seq order, at most `limit`. */
  readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]>;
  /** The snapshot with the highest seq among those whose ts <= the given time; null if none. */
  snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null>;
  /** Per-room sizes. */
  stats(): Promise<RoomStorageStats[]>;
}
