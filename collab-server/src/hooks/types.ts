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

export type Direction = 'in' | 'out';

/** What a y-websocket frame was, decoded from its first varuints. */
export type FrameKind =
  | 'sync-step1'
  | 'sync-step2'
  | 'sync-update'
  | 'awareness'
  | 'auth'
  | 'query-awareness'
  | 'trace-context'
  | 'unknown';

export interface ConnectionInfo {
  /** Pod-local connection id, opaque (not derived from the user). */
  id: string;
  /** `<org>/<room>`. */
  room: string;
  org: string;
  /** Stable pseudonym of the token subject (keyed hash), safe for metadata scope. */
  userPseudonym: string;
  /** Display name from the token; content scope only. */
  displayName?: string;
  connectedAt: number;
}

/** Close code of a connection that ended without a close frame (dropped, or terminated); never sent on the wire. */
export const ABNORMAL_CLOSURE = 1006;

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

export interface FrameEvent {
  room: string;
  org: string;
  connId: string;
  direction: Direction;
  kind: FrameKind;
  bytes: number;
  ts: number;
  /** The raw frame; valid only during the call (copy if kept). */
  data: Uint8Array;
}

export interface MessageEvent {
  org: string;
  room: string;
  kind: FrameKind;
  bytes: number;
}

export interface UpdateEvent {
  room: string;
  org: string;
  /** Connection that sent it; undefined for updates from another pod or from storage. */
  connId?: string;
  origin: 'client' | 'remote';
  /** Yjs client id(s) found in the update; the first one is the author. */
  clientId: number;
  update: Uint8Array;
  seq: number;
  ts: number;
  /** Receive → durable → applied → broadcast, milliseconds. */
  durationMs: number;
}

export interface AwarenessEvent {
  room: string;
  org: string;
  connId?: string;
  added: number[];
  updated: number[];
  removed: number[];
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

export interface RoomEvent {
  room: string;
  org: string;
  durationMs?: number;
  /** onRoomLoaded: highest log seq the room loaded (snapshot + log), the cross-pod catch-up baseline. */
  seq?: number;
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
}

/** Runtime view of a loaded room, read at scrape / API time (cheap, no encoding). */
export interface RoomRuntimeStats {
  room: string;
  org: string;
  connections: number;
  /** Approximate document size in bytes (snapshot + updates since). */
  docBytes: number;
  /** Updates applied since the room loaded. */
  ops: number;
  /** Updates received but not yet durable. */
  pendingDurable: number;
  /** Durable updates not yet folded into a snapshot. */
  pendingCompaction: number;
  presence: number;
  lastActivity: number;
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
  /**
   * Cross-pod fan-out only (set by src/cluster): connections per room per live
   * pod (`room → { pod → connections }`), for `/api/rooms`.
   */
  clusterConnections?: () => Promise<Map<string, Record<string, number>>>;
}
