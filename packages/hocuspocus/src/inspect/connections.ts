/**
 * Per-room bookkeeping of Hocuspocus connections for the inspect streams: each joined connection's
 * `ConnectionInfo` (opaque id, pseudonymous user) and the awareness client ids it controls (from
 * `onAwarenessUpdate`, whose `connection` says who sent the change). Cleared when the connection closes.
 */
import { userPseudonym, type ConnectionInfo, type RoomStats } from '@collabblocks/monitor';

/** Who a connection's user is, read from the context your `onAuthenticate` returned. */
export interface ConnectionUser {
  /** Stable user id (never shown: the streams show a keyed hash of it). */
  id: string;
  /** Display name; shown to content-scope tokens only. */
  name?: string;
}

export type UserOf = (context: unknown) => ConnectionUser | undefined;

/** One joined connection, the key of `HostRoom.connections`. */
export interface ConnEntry {
  readonly info: ConnectionInfo;
}

/** A loaded room's live state as the host keeps it (awareness ownership, activity, figures). */
export class RoomConnections {
  readonly byConn = new Map<object, ConnEntry>();
  /** Connection → awareness client ids it controls (the `HostRoom.connections` view). */
  readonly clients = new Map<ConnEntry, Set<number>>();
  ops = 0;
  docBytes = 0;
  lastActivity = Date.now();

  constructor(
    readonly room: string,
    readonly org: string
  ) {}

  stats(presence: number): RoomStats {
    return {
      room: this.room,
      org: this.org,
      connections: this.byConn.size,
      docBytes: this.docBytes,
      ops: this.ops,
      presence,
      lastActivity: this.lastActivity,
    };
  }
}

let nextId = 0;

/** Builds a connection's info: an opaque id and a pseudonym keyed by the monitor secret. */
export function connectionInfo(
  secret: Uint8Array,
  room: string,
  org: string,
  user: ConnectionUser | undefined
): ConnectionInfo {
  nextId += 1;
  const id = `h${process.pid.toString(36)}-${nextId.toString(36)}`;
  return {
    id,
    room,
    org,
    // Without a user id each connection is its own anonymous user.
    userPseudonym: userPseudonym(Buffer.from(secret), org, user?.id ?? `anonymous:${id}`),
    ...(user?.name !== undefined ? { displayName: user.name } : {}),
    connectedAt: Date.now(),
  };
}
