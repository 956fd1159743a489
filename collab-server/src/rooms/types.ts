/** Types shared by the room and its write path (`update/`). */
import type { ConnectionInfo } from '../hooks/index.js';

/** What a room needs from a transport connection. */
export interface RoomClient {
  readonly id: string;
  readonly info: ConnectionInfo;
  /** Sends one binary frame (the transport enforces the slow-consumer bound). */
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /**
   * Processing time (ms) the room spent on this client's update outside the transport's own
   * measurement of the frame (the apply to the doc), for the client's and its room's CPU budgets.
   */
  charge?(ms: number): void;
}

export type RoomState = 'open' | 'closing' | 'closed';

export type UpdateResult = 'applied' | 'empty' | 'invalid' | 'storage-failed' | 'closed';

/** The durable log as applied to the doc: what compaction and stats read, what the write path advances. */
export interface RoomProgress {
  /** Highest durable seq applied to the doc. */
  lastSeq: number;
  lastTs: number;
  /** Client updates applied since the room was loaded. */
  ops: number;
  opsSinceSnapshot: number;
  bytesSinceSnapshot: number;
}
