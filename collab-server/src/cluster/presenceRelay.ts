/**
 * Cross-pod presence: local awareness changes go out with their owners' claims (`presence` messages);
 * another pod's are applied through the room's ownership rules (`room.applyRemoteAwareness`: an entry for
 * a client id another owner holds is dropped and counted) with a remote origin, so the core never
 * attributes them to a local connection and they are not forwarded again.
 */
import { errorMessage } from '@collabblocks/protocol';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { AwarenessEvent } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import { decodePresence, encodePresence, type ClusterMessageType } from './codec.js';
import type { ClusterRoom } from './host.js';
import type { ClusterMetrics } from './metrics.js';

/** Origin of awareness updates applied from another pod. */
export const REMOTE_AWARENESS_ORIGIN = Symbol('cluster-awareness');

export interface PresenceRelayDeps {
  log: Logger;
  metrics: ClusterMetrics;
  /** Publishes a message on the room's channel. */
  publish(room: string, type: ClusterMessageType, seq: number, payload: Uint8Array): void;
}

export class PresenceRelay {
  /** Set while another pod's presence is applied: the `onAwareness` it causes is not forwarded. */
  private applyingRemote = false;

  constructor(private readonly deps: PresenceRelayDeps) {}

  /**
   * A room's awareness changed (`onAwareness`); `owned` holds the ids this pod's connections own, kept
   * up to date here. Forwards what changed of them.
   */
  local(ev: AwarenessEvent, owned: Set<number>, room: ClusterRoom): void {
    if (this.applyingRemote) return;
    let changed: number[];
    if (ev.connId !== undefined) {
      for (const id of ev.added) owned.add(id);
      for (const id of ev.updated) owned.add(id);
      for (const id of ev.removed) owned.delete(id);
      changed = ev.added.concat(ev.updated, ev.removed);
    } else {
      // A local connection left (the core removes its states with no origin): forward the removal.
      changed = ev.removed.filter((id) => owned.delete(id));
    }
    if (changed.length === 0) return;
    this.publish(ev.room, room, changed);
  }

  /** Publishes every state this pod's connections still own (answer to `awareness-query`, resync). */
  publishOwned(roomId: string, owned: Set<number>, room: ClusterRoom): void {
    const states = room.awareness.getStates();
    // Ids a connection of another pod took over (its principal reconnected there) are no longer ours.
    const ids = [...owned].filter((id) => states.has(id) && room.ownsLocally(id));
    if (ids.length === 0) return;
    this.publish(roomId, room, ids);
  }

  /** Applies another pod's `presence` message. */
  applyRemote(roomId: string, room: ClusterRoom, payload: Uint8Array): void {
    const { metrics, log } = this.deps;
    const presence = decodePresence(payload);
    if (!presence) {
      metrics.redisErrors.inc({ op: 'decode' });
      return;
    }
    this.applyingRemote = true;
    try {
      room.applyRemoteAwareness(presence.update, presence.claims, REMOTE_AWARENESS_ORIGIN);
      metrics.messages.inc({ type: 'presence', direction: 'in' });
    } catch (err) {
      log.warn({ room: roomId, err: errorMessage(err) }, 'bad remote awareness update dropped');
    } finally {
      this.applyingRemote = false;
    }
  }

  /** Publishes the awareness entries of `ids` with their owners' claims. */
  private publish(roomId: string, room: ClusterRoom, ids: number[]): void {
    let payload: Uint8Array;
    try {
      payload = encodePresence(
        room.presenceClaims(ids),
        awarenessProtocol.encodeAwarenessUpdate(room.awareness, ids)
      );
    } catch (err) {
      this.deps.log.warn({ room: roomId, err: errorMessage(err) }, 'could not encode awareness');
      return;
    }
    this.deps.publish(roomId, 'presence', 0, payload);
  }
}
