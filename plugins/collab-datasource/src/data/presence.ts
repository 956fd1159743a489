import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import {
  FRAME_LIMITS,
  PRESENCE_FIELDS as F,
  type InspectScope,
  type PresencePatchMessage,
  type PresenceSnapshotMessage,
  type PresenceUser,
} from '@collabblocks/protocol';

import { collabMeta, pseudonymColor } from './common';

export interface PresenceRow extends PresenceUser {
  pod: string;
}

/**
 * Presence of one room folded from the pods' snapshots and patches. A client
 * seen on several pods (cross-pod awareness forwarding) is shown once: the
 * most recently seen copy wins.
 */
export class PresenceState {
  private readonly byPod = new Map<string, Map<number, PresenceUser>>();
  ts = 0;

  constructor(readonly room: string) {}

  /** Folds one message; returns the joined / left client ids (for annotations and heatmaps). */
  apply(
    pod: string,
    msg: PresenceSnapshotMessage | PresencePatchMessage
  ): { joined: PresenceUser[]; left: number[]; moved: PresenceUser[] } {
    this.ts = Math.max(this.ts, msg.ts);
    if (msg.type === 'presenceSnapshot') {
      const before = this.byPod.get(pod) ?? new Map<number, PresenceUser>();
      const next = new Map(msg.users.map((u) => [u.clientId, u] as const));
      this.byPod.set(pod, next);
      return {
        joined: msg.users.filter((u) => !before.has(u.clientId)),
        left: [...before.keys()].filter((id) => !next.has(id)),
        moved: msg.users.filter((u) => u.cursor !== null),
      };
    }
    let users = this.byPod.get(pod);
    if (!users) {
      users = new Map();
      this.byPod.set(pod, users);
    }
    for (const u of msg.joined) users.set(u.clientId, u);
    for (const u of msg.updated) users.set(u.clientId, u);
    for (const id of msg.left) users.delete(id);
    return {
      joined: msg.joined,
      left: msg.left,
      moved: [...msg.joined, ...msg.updated].filter((u) => u.cursor !== null),
    };
  }

  /** Forget a pod's view (its socket dropped; a fresh snapshot follows on reconnect). */
  dropPod(pod: string): void {
    this.byPod.delete(pod);
  }

  rows(): PresenceRow[] {
    const byClient = new Map<number, PresenceRow>();
    for (const [pod, users] of this.byPod) {
      for (const u of users.values()) {
        const prev = byClient.get(u.clientId);
        // The pod the client is connected to reports it without `remote` (with its user pseudonym
        // and connection); other pods relay a copy marked `remote`. Prefer the local report, then
        // the newest.
        const better =
          !prev ||
          (prev.remote === true && u.remote !== true) ||
          ((prev.remote === true) === (u.remote === true) && u.lastSeen > prev.lastSeen);
        if (better) byClient.set(u.clientId, { ...u, pod });
      }
    }
    return [...byClient.values()].sort((a, b) => a.user.localeCompare(b.user) || a.clientId - b.clientId);
  }
}

/**
 * The presence frame (contract: PRESENCE_FIELDS). With `metadata` scope the
 * label is the pseudonym and the colour is derived from it, even if a pod
 * sent more.
 */
export function buildPresenceFrame(
  rows: PresenceRow[],
  opts: { refId: string; room: string; ts: number; scope: InspectScope }
): DataFrame {
  const kept = rows.slice(0, FRAME_LIMITS.maxRows);
  const content = opts.scope === 'content';
  const pods = [...new Set(kept.map((r) => r.pod))];
  return createDataFrame({
    refId: opts.refId,
    name: 'presence',
    meta: collabMeta('presence', {
      room: opts.room,
      pod: pods.join(','),
      ts: opts.ts,
      scope: opts.scope,
    }),
    fields: [
      { name: F.room, type: FieldType.string, values: kept.map(() => opts.room) },
      { name: F.pod, type: FieldType.string, values: kept.map((r) => r.pod) },
      { name: F.clientId, type: FieldType.number, values: kept.map((r) => r.clientId) },
      { name: F.user, type: FieldType.string, values: kept.map((r) => r.user) },
      {
        name: F.label,
        type: FieldType.string,
        values: kept.map((r) => (content && r.name ? r.name : r.user)),
      },
      {
        name: F.color,
        type: FieldType.string,
        values: kept.map((r) => (content && r.color ? r.color : pseudonymColor(r.user))),
      },
      { name: F.x, type: FieldType.number, values: kept.map((r) => r.cursor?.x ?? null) },
      { name: F.y, type: FieldType.number, values: kept.map((r) => r.cursor?.y ?? null) },
      { name: F.status, type: FieldType.string, values: kept.map((r) => r.status ?? '') },
      { name: F.lastSeen, type: FieldType.time, values: kept.map((r) => r.lastSeen) },
      { name: F.updateCount, type: FieldType.number, values: kept.map((r) => r.updates) },
      { name: F.conn, type: FieldType.string, values: kept.map((r) => r.conn ?? '') },
    ],
  });
}
