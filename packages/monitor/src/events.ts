/**
 * What a host reports to the monitor: its connections and the events of its rooms (updates,
 * awareness changes, wire frames, rooms loading and unloading). A host (the collab pod,
 * the Hocuspocus extension) produces them from its own lifecycle; the inspect streams and the
 * metrics consume them. Delivered synchronously and never awaited: a consumer must be cheap and
 * must not throw.
 *
 * Nothing here carries a token. `displayName` is present only where the host had one and must
 * never reach logs, spans or metrics labels.
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
  /** Host-local connection id, opaque (not derived from the user). */
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

export interface UpdateEvent {
  room: string;
  org: string;
  /** Connection that sent it; undefined for updates from another pod or from storage. */
  connId?: string;
  origin: 'client' | 'remote';
  /** Yjs client id(s) found in the update; the first one is the author. */
  clientId: number;
  update: Uint8Array;
  /** Position in the room's stored update log (0 when the host keeps no log). */
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

export interface RoomEvent {
  room: string;
  org: string;
  durationMs?: number;
  /** onRoomLoaded: highest log seq the room loaded (snapshot + log), the cross-pod catch-up baseline. */
  seq?: number;
}

/** Runtime view of a loaded room, read at scrape / API time (cheap, no encoding). */
export interface RoomStats {
  room: string;
  org: string;
  connections: number;
  /** Approximate document size in bytes (snapshot + updates since). */
  docBytes: number;
  /** Updates applied since the room loaded. */
  ops: number;
  presence: number;
  lastActivity: number;
}
