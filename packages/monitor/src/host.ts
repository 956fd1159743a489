/**
 * The host interface: what the monitor reads from the Yjs server that hosts it. A host has rooms
 * (`<org>/<room>`), each a loaded `Y.Doc` with its awareness and connections; it reports their
 * events (updates, awareness changes, frames, rooms loading/unloading, connections) to the
 * listener the monitor gives it; it may keep a timestamped update log (`HistoryStore`) for
 * history and time travel. The collab pod is one host (`collab-server/src/inspect/podHost.ts`,
 * over its RoomManager, storage and hook bus); the Hocuspocus extension is another. Nothing
 * here knows SQLite, PostgreSQL or a cluster: those stay behind the interface.
 */
import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { InspectScope } from '@collabblocks/protocol';
import type {
  AwarenessEvent,
  ConnectionInfo,
  FrameEvent,
  RoomEvent,
  RoomStats,
  UpdateEvent,
} from './events.js';

/** A loaded room as the monitor reads it (the pod's `Room` satisfies it). */
export interface HostRoom {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  /**
   * This host's connections to the room and the awareness client ids each controls. Absent when the
   * host cannot tell: then no presence state is marked as relayed from another server (`remote`).
   */
  readonly connections?: ReadonlyMap<{ readonly info: ConnectionInfo }, ReadonlySet<number>>;
  /** Cheap runtime figures (the metrics stream); absent: zeros. */
  stats?(): RoomStats;
}

/**
 * What the host calls, synchronously and never awaited (each call must be cheap and never throws):
 * the events of its rooms. `wantsFrames` is asked before the host reports a room's wire frames
 * (decoding and counting them is only worth it while a traffic or metrics subscriber watches).
 */
export interface HostListener {
  wantsFrames(room: string): boolean;
  onFrame(ev: FrameEvent): void;
  onUpdate(ev: UpdateEvent): void;
  onAwareness(ev: AwarenessEvent): void;
  onConnect(conn: ConnectionInfo): void;
  onDisconnect(conn: ConnectionInfo): void;
  /** The room is registered and `room(name)` finds it (or does so on the next turn at the latest). */
  onRoomLoaded(ev: RoomEvent): void;
  onRoomUnloaded(ev: RoomEvent): void;
}

/** Where the monitor reports its own trouble (pino's logger satisfies it). No tokens, no names. */
export interface MonitorLogger {
  warn(obj: object, msg: string): void;
}

/** An org API key that may mint inspect tokens, as the host authenticated it. */
export interface OrgKeyAuth {
  org: string;
  /** The widest scope this key may mint. */
  scope: InspectScope;
  /**
   * A stable, non-secret identifier of the key (e.g. a keyed hash): minted tokens carry it so the
   * inspect session caps apply per key. Absent: the key's sessions count only against its org.
   */
  keyId?: string;
}

export interface MonitorHost {
  /** Name of this server instance (the pod name): the `hello` message and metrics carry it. */
  readonly name: string;
  /**
   * Signs inspect tokens and keys the pseudonyms (connections, awareness clients); the same on every
   * instance of a deployment so tokens and pseudonyms agree across instances. At least 32 bytes.
   */
  readonly secret: Uint8Array;
  /** A room loaded on this host, or undefined. */
  room(name: string): HostRoom | undefined;
  /** Every loaded room's figures (the rooms stream). */
  rooms(): RoomStats[];
  /** Starts reporting room events to `listener`; returns the function that stops it. */
  observe(listener: HostListener): () => void;
  /**
   * The timestamped update log, when the host keeps one: history pages, time travel, the tree and
   * sizes of rooms not loaded here. Without it those requests answer `history_unavailable`.
   */
  readonly history?: HistoryStore;
  readonly logger?: MonitorLogger;
}

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
