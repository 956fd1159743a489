import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import {
  FRAME_LIMITS,
  isPlainCssColor,
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
        moved: msg.users.filter(hasPosition),
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
      moved: [...msg.joined, ...msg.updated].filter(hasPosition),
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

/** A user with somewhere to draw: a [0, 1] cursor, a canvas pointer or a resolved document location. */
export function hasPosition(u: PresenceUser): boolean {
  return u.cursor !== null || u.pointer !== undefined || u.location?.state === 'resolved';
}

/**
 * The colour a row is drawn in: the one the client publishes when the frame may carry it (content
 * scope: as sent by the pod; metadata scope: only a plain CSS colour, which the pod lets through so
 * users keep their editor's colour), else one derived from the pseudonym.
 */
export function presenceColor(r: PresenceUser, scope: InspectScope): string {
  if (r.color && (scope === 'content' || isPlainCssColor(r.color))) return r.color;
  return pseudonymColor(r.user);
}

/** The pointer of a row: revision-2 `pointer` (any space), else the [0, 1] `cursor`. */
function pointerOf(r: PresenceUser): { x: number; y: number; space: string } | null {
  if (r.pointer) return r.pointer;
  return r.cursor ? { ...r.cursor, space: 'unit' } : null;
}

/** Location columns resolve to values only for a resolved location (null / '' otherwise). */
function resolved(r: PresenceUser) {
  return r.location?.state === 'resolved' ? r.location : undefined;
}

/**
 * The presence frame (contract: PRESENCE_FIELDS). With `metadata` scope the label is the pseudonym, the
 * colour is a published plain CSS colour or one derived from the pseudonym, and `snippet` is empty, even
 * if a pod sent more. `x`/`y` are in the pointer's `space` (`unit` [0, 1], tldraw `page`, Excalidraw
 * `scene`); document locations are in `block`…`selection` (resolved only; `locState` says why not).
 */
export function buildPresenceFrame(
  rows: PresenceRow[],
  opts: { refId: string; room: string; ts: number; scope: InspectScope }
): DataFrame {
  const kept = rows.slice(0, FRAME_LIMITS.maxRows);
  const content = opts.scope === 'content';
  const pods = [...new Set(kept.map((r) => r.pod))];
  const pointers = kept.map(pointerOf);
  const locs = kept.map(resolved);
  const str = (get: (r: PresenceRow, i: number) => string | undefined): string[] =>
    kept.map((r, i) => get(r, i) ?? '');
  const num = (get: (r: PresenceRow, i: number) => number | undefined): Array<number | null> =>
    kept.map((r, i) => get(r, i) ?? null);
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
      { name: F.color, type: FieldType.string, values: kept.map((r) => presenceColor(r, opts.scope)) },
      { name: F.x, type: FieldType.number, values: num((_, i) => pointers[i]?.x) },
      { name: F.y, type: FieldType.number, values: num((_, i) => pointers[i]?.y) },
      { name: F.status, type: FieldType.string, values: kept.map((r) => r.status ?? '') },
      { name: F.lastSeen, type: FieldType.time, values: kept.map((r) => r.lastSeen) },
      { name: F.updateCount, type: FieldType.number, values: kept.map((r) => r.updates) },
      { name: F.conn, type: FieldType.string, values: kept.map((r) => r.conn ?? '') },
      {
        name: F.binding,
        type: FieldType.string,
        values: str((r) => (r.binding === 'none' ? '' : r.binding)),
      },
      { name: F.space, type: FieldType.string, values: str((_, i) => pointers[i]?.space) },
      { name: F.locState, type: FieldType.string, values: str((r) => r.location?.state) },
      { name: F.root, type: FieldType.string, values: str((r) => r.location?.root) },
      { name: F.rootKind, type: FieldType.string, values: str((r) => r.location?.rootKind) },
      { name: F.block, type: FieldType.number, values: num((_, i) => locs[i]?.block) },
      { name: F.blocks, type: FieldType.number, values: num((_, i) => locs[i]?.blocks) },
      { name: F.nodeName, type: FieldType.string, values: str((_, i) => locs[i]?.nodeName) },
      { name: F.nodeNames, type: FieldType.string, values: str((_, i) => locs[i]?.path?.join(' › ')) },
      { name: F.nodePath, type: FieldType.string, values: str((_, i) => locs[i]?.nodePath) },
      { name: F.line, type: FieldType.number, values: num((_, i) => locs[i]?.line) },
      { name: F.column, type: FieldType.number, values: num((_, i) => locs[i]?.column) },
      { name: F.selection, type: FieldType.number, values: num((_, i) => locs[i]?.selection) },
      { name: F.anchorBlock, type: FieldType.number, values: num((_, i) => locs[i]?.anchorBlock) },
      {
        name: F.snippet,
        type: FieldType.string,
        values: str((_, i) => {
          const sn = locs[i]?.snippet;
          return content && sn ? `${sn.before}|${sn.after}` : '';
        }),
      },
      { name: F.lastActive, type: FieldType.time, values: num((r) => r.lastActive) },
      {
        name: F.focused,
        type: FieldType.boolean,
        values: kept.map((r) => (typeof r.signals?.focused === 'boolean' ? r.signals.focused : null)),
      },
    ],
  });
}
