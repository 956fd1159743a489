/**
 * Extension hooks: the seam between the pod's core (transport, rooms, storage)
 * and what observes it (metrics, the inspect bridge, cross-pod fan-out).
 * In the spirit of Hocuspocus extensions: an extension implements only the
 * hooks it needs; the core calls them synchronously and never awaits them, so
 * an extension must be cheap and must not throw (throws are caught and logged).
 *
 * Nothing here carries a token. `displayName` is present only where the core
 * had one and must never reach logs, spans or metrics labels.
 */

import type {
  AwarenessEvent,
  ConnectionInfo,
  FrameEvent,
  FrameKind,
  RoomEvent,
  RoomStats,
  UpdateEvent,
} from '@collabblocks/monitor';

/** The connection and room events are the monitor's (`@collabblocks/monitor`): every host emits them alike. */
export type {
  AwarenessEvent,
  ConnectionInfo,
  Direction,
  FrameEvent,
  FrameKind,
  RoomEvent,
  RoomStats,
  UpdateEvent,
} from '@collabblocks/monitor';

/** Close code of a connection that ended without a close frame (one definition, in the wire protocol). */
export { ABNORMAL_CLOSURE } from '@collabblocks/protocol';

/** Why a JWKS (token key set) fetch failed: a timeout, no answer / not 200, or not a JSON key set. */
export type KeySetFailure = 'timeout' | 'unreachable' | 'bad-response';

export interface RejectedEvent {
  /** Org when it could be determined (room path parsed), else undefined. */
  org?: string;
  code: number;
  reason: string;
  /** Set when the token could not be checked because the JWKS could not be fetched. */
  keySetFailure?: KeySetFailure;
}

export interface ClosedEvent {
  conn: ConnectionInfo;
  code: number;
  reason: string;
  /**
   * True when `code` and `reason` are the client's own: the client sent its close frame first, so it
   * chose them (any value 1000-4999). False (or absent) when the pod closed the connection (one of its
   * `CloseCode`s) or the connection dropped without a close frame (1006).
   */
  byClient?: boolean;
}

export interface MessageEvent {
  org: string;
  room: string;
  kind: FrameKind;
  bytes: number;
}

/**
 * Awareness entries dropped because another connection owns the client id (presence integrity): an
 * attempt to set (`set`) or remove (`remove`) someone else's presence, from a local connection or
 * forwarded by another pod (`remote`). Stock clients also send some (their own timeouts of others).
 */
export interface PresenceRefusedEvent {
  room: string;
  org: string;
  kind: 'set' | 'remove';
  source: 'local' | 'remote';
}

export interface PersistEvent {
  /** Orgs whose updates were in this write (one group commit may span several). */
  orgs: string[];
  backend: 'sqlite' | 'postgres';
  count: number;
  bytes: number;
  durationMs: number;
  /** Trace id when the write happened inside a sampled span (exemplar). */
  traceId?: string;
}

export interface CompactionEvent {
  room: string;
  org: string;
  seq: number;
  bytes: number;
  durationMs: number;
}

export interface RttEvent {
  org: string;
  room: string;
  connId: string;
  rttMs: number;
}

export interface ErrorEvent {
  org?: string;
  room?: string;
  code: number;
  reason: string;
}

/** Which bound of docs/POD.md "Limits and isolation" acted. */
export type LimitName =
  | 'pending-sockets'
  | 'conn-per-ip'
  | 'conn-per-org'
  | 'conn-cpu'
  | 'room-cpu'
  | 'new-client-ids'
  | 'queued-bytes';

/**
 * A limit acted: `throttled` (a connection's or room's frames wait for their budget to refill),
 * `refused` (a connection or the work it asked for was refused), `closed` (a connection was closed).
 */
export interface LimitEvent {
  /** Only for authenticated connections (never from an unauthenticated path). */
  org?: string;
  limit: LimitName;
  action: 'throttled' | 'refused' | 'closed';
}

/** Permission to write one snapshot (see `CollabExtension.acquireCompaction`). */
export interface CompactionGrant {
  /** Seq the snapshot claims: <= the seq asked for (every update up to it is applied on this pod). */
  seq: number;
  /** Called after the snapshot was written (or failed). */
  release(): Promise<void>;
}

export interface CollabExtension {
  readonly name: string;
  /**
   * Optional and async (the one hook the core awaits): asked before a room
   * writes a snapshot claiming `seq`. Null skips this round (another pod owns
   * the room's compaction, or its lock is unreachable). With several pods a
   * pod may not yet have applied every seq below its newest one, so the grant
   * can lower the claimed seq. Used by cross-pod fan-out (src/cluster).
   */
  acquireCompaction?(room: string, seq: number): Promise<CompactionGrant | null>;
  onConnect?(conn: ConnectionInfo): void;
  onReject?(ev: RejectedEvent): void;
  onDisconnect?(ev: ClosedEvent): void;
  /** Called only for rooms where `wantsFrames(room)` returned true. */
  onFrame?(ev: FrameEvent): void;
  wantsFrames?(room: string): boolean;
  onMessage?(ev: MessageEvent): void;
  onUpdate?(ev: UpdateEvent): void;
  onAwareness?(ev: AwarenessEvent): void;
  onPresenceRefused?(ev: PresenceRefusedEvent): void;
  onPersist?(ev: PersistEvent): void;
  onCompaction?(ev: CompactionEvent): void;
  onRoomLoaded?(ev: RoomEvent): void;
  onRoomUnloaded?(ev: RoomEvent): void;
  onRtt?(ev: RttEvent): void;
  onError?(ev: ErrorEvent): void;
  onLimit?(ev: LimitEvent): void;
}

/** Runtime view of a loaded room (the monitor's `RoomStats`) plus the pod's durability backlog. */
export interface RoomRuntimeStats extends RoomStats {
  /** Updates received but not yet durable. */
  pendingDurable: number;
  /** Durable updates not yet folded into a snapshot. */
  pendingCompaction: number;
}

/** What the core reads from the observability module (src/observability). */
export interface MetricsEndpoint {
  /** Renders the exposition; OpenMetrics (with exemplars) when the Accept header asks for it. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

/** Read-only view of the pod that scrape-time collectors and the HTTP API use. */
export interface PodView {
  /** Pod name (`COLLAB_POD_NAME`, default hostname); every metric series carries it. */
  readonly pod: string;
  /** Loaded rooms, cheap to call. */
  rooms(): RoomRuntimeStats[];
  /** Bytes queued to clients and not yet written, pod-wide (each shared buffer once). */
  queuedBytes?(): number;
  /**
   * Cross-pod fan-out only (set by src/cluster): connections per room per live
   * pod (`room → { pod → connections }`), for `/api/rooms`.
   */
  clusterConnections?: () => Promise<Map<string, Record<string, number>>>;
}
