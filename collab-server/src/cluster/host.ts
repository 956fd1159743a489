/** What the cluster needs from the core: its loaded rooms (`Room`) and their registry (`RoomManager`). */
import type * as awarenessProtocol from 'y-protocols/awareness';
import type { PresenceClaim } from '../rooms/awareness/owners.js';

/** What the cluster needs from a loaded room (the core's `Room` satisfies it). */
export interface ClusterRoom {
  readonly id: string;
  /** Highest seq the room has applied (at load time: the storage head it loaded). */
  readonly seq: number;
  readonly awareness: awarenessProtocol.Awareness;
  readonly connections: { readonly size: number };
  applyRemoteUpdate(update: Uint8Array, origin?: unknown): boolean;
  /** Applies another pod's awareness entries under the room's ownership rules (throws if malformed). */
  applyRemoteAwareness(update: Uint8Array, claims: readonly PresenceClaim[], origin: unknown): void;
  /** The owners' claims behind `ids` (current, or the last one of a released id). */
  presenceClaims(ids: readonly number[]): PresenceClaim[];
  /** True when a connection of this pod owns `id`. */
  ownsLocally(id: number): boolean;
}

/** The core's room registry (`RoomManager` satisfies it). */
export interface ClusterHost {
  get(roomId: string): ClusterRoom | undefined;
  list(): ClusterRoom[];
}
