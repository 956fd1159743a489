/**
 * The presence stream: who is in the room (awareness states), as a snapshot on subscribe and
 * patches (joined / updated / left) batched every `flushMs`. Metadata scope carries pseudonyms,
 * cursors and a status from a fixed list; content scope adds names, colours and the status text.
 * A state no local connection controls came from another instance (`remote`), shown with a client
 * pseudonym every instance computes alike.
 */
import {
  PRESENCE_STATUSES,
  type InspectScope,
  type PresenceStatus,
  type PresenceUser,
} from '@collabblocks/protocol';
import type { AwarenessEvent, ConnectionInfo, RoomEvent } from '../../events.js';
import type { HostRoom } from '../../host.js';
import { PerScope, subFrame } from '../frame.js';
import type { Subscription } from '../session/session.js';
import { connectionsOf, RoomSubscribers, type StreamContext, type StreamModule } from './stream.js';

const STATUSES: ReadonlySet<string> = new Set(PRESENCE_STATUSES);

/** The status metadata scope may carry: one of PRESENCE_STATUSES; any other client text is `unknown`. */
function presenceStatus(raw: string): PresenceStatus {
  const s = raw.trim().toLowerCase();
  return STATUSES.has(s) ? (s as PresenceStatus) : 'unknown';
}

interface RoomPresence {
  readonly org: string;
  joined: Set<number>;
  updated: Set<number>;
  left: Set<number>;
  timer: NodeJS.Timeout | null;
  /** Awareness updates per client id since it joined (the `updates` column). */
  counts: Map<number, number>;
  /** Client id → the connection that last announced it. */
  conn: Map<number, string>;
}

export class PresenceStream implements StreamModule {
  readonly stream = 'presence';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomPresence>();

  constructor(
    private readonly ctx: StreamContext,
    private readonly flushMs = 30
  ) {}

  subscribe(sub: Subscription): void {
    const room = sub.room as string;
    this.subs.add(room, sub);
    if (!this.rooms.has(room)) {
      this.rooms.set(room, {
        org: sub.session.org as string,
        joined: new Set(),
        updated: new Set(),
        left: new Set(),
        timer: null,
        counts: new Map(),
        conn: new Map(),
      });
    }
    this.resnapshot(sub);
  }

  unsubscribe(sub: Subscription): void {
    const room = sub.room as string;
    if (this.subs.delete(room, sub) > 0) return;
    const p = this.rooms.get(room);
    if (p?.timer) clearTimeout(p.timer);
    this.rooms.delete(room);
  }

  resnapshot(sub: Subscription): void {
    const name = sub.room as string;
    const p = this.rooms.get(name);
    if (!p) return;
    const room = this.ctx.host.room(name);
    const users = room ? this.users(p, room, room.awareness.getStates().keys(), sub.session.scope) : [];
    sub.session.outbox.push(
      subFrame('presenceSnapshot', sub.id, { room: name, ts: Date.now(), users }),
      sub.id
    );
  }

  onAwareness(ev: AwarenessEvent): void {
    const p = this.rooms.get(ev.room);
    if (!p) return;
    for (const id of ev.added) {
      p.left.delete(id);
      p.joined.add(id);
    }
    for (const id of ev.updated) if (!p.joined.has(id)) p.updated.add(id);
    for (const id of ev.removed) {
      p.joined.delete(id);
      p.updated.delete(id);
      p.left.add(id);
    }
    for (const id of ev.added.concat(ev.updated)) {
      p.counts.set(id, (p.counts.get(id) ?? 0) + 1);
      if (ev.connId !== undefined) p.conn.set(id, ev.connId);
    }
    if (!p.timer) {
      const room = ev.room;
      p.timer = setTimeout(() => {
        p.timer = null;
        this.flush(room, p);
      }, this.flushMs);
    }
  }

  /** The room (re)appeared on this host: fresh snapshots (on the next turn, once it is registered). */
  onRoomLoaded(ev: RoomEvent): void {
    if (!this.rooms.has(ev.room)) return;
    setImmediate(() => this.reload(ev.room));
  }

  /** Resync (`reload`) and a fresh snapshot for every subscriber, when the room is loaded here. */
  reload(room: string): void {
    if (!this.ctx.host.room(room)) return;
    for (const sub of [...this.subs.of(room)]) this.ctx.resync(sub, 0, 'reload');
  }

  close(): void {
    for (const p of this.rooms.values()) if (p.timer) clearTimeout(p.timer);
    this.rooms.clear();
  }

  private flush(name: string, p: RoomPresence): void {
    const room = this.ctx.host.room(name);
    const joined = [...p.joined];
    const updated = [...p.updated];
    const left = [...p.left];
    p.joined.clear();
    p.updated.clear();
    p.left.clear();
    for (const id of left) {
      p.counts.delete(id);
      p.conn.delete(id);
    }
    const subs = this.subs.of(name);
    if (!room || subs.size === 0) return;
    const ts = Date.now();
    const body = new PerScope('presencePatch', (scope) => ({
      room: name,
      ts,
      joined: this.users(p, room, joined, scope),
      updated: this.users(p, room, updated, scope),
      left,
    }));
    for (const sub of subs) sub.session.sendSub(sub, body.frame(sub));
  }

  private users(p: RoomPresence, room: HostRoom, ids: Iterable<number>, scope: InspectScope): PresenceUser[] {
    const states = room.awareness.getStates();
    const conns = connectionsOf(room);
    const byClient = new Map<number, ConnectionInfo>();
    if (room.connections)
      for (const [c, set] of room.connections) for (const id of set) byClient.set(id, c.info);
    const out: PresenceUser[] = [];
    for (const id of ids) {
      const state = states.get(id);
      if (!state) continue;
      const connId = p.conn.get(id);
      const info = byClient.get(id) ?? (connId !== undefined ? conns.get(connId) : undefined);
      const lastSeen = room.awareness.meta.get(id)?.lastUpdated ?? Date.now();
      // No local connection controls this state: it came from another instance (when the room
      // tells us its connections at all).
      const remote = room.connections !== undefined && info === undefined && connId === undefined;
      out.push(
        this.render(
          p.org,
          id,
          state as Record<string, unknown>,
          info,
          lastSeen,
          p.counts.get(id) ?? 0,
          scope,
          remote
        )
      );
    }
    return out;
  }

  private render(
    org: string,
    clientId: number,
    state: Record<string, unknown>,
    info: ConnectionInfo | undefined,
    lastSeen: number,
    updates: number,
    scope: InspectScope,
    remote: boolean
  ): PresenceUser {
    const cursorRaw = state.cursor as { x?: unknown; y?: unknown } | null | undefined;
    const cursor =
      cursorRaw && typeof cursorRaw.x === 'number' && typeof cursorRaw.y === 'number'
        ? { x: cursorRaw.x, y: cursorRaw.y }
        : null;
    const u: PresenceUser = {
      clientId,
      // Without the connection (a state from another instance) the client pseudonym, which
      // every instance computes alike (keyed by the shared secret).
      user: info?.userPseudonym ?? this.ctx.pseudonyms.client(org, clientId),
      cursor,
      lastSeen,
      updates,
    };
    if (info) u.conn = this.ctx.pseudonyms.conn(info.id);
    if (remote) u.remote = true;
    if (typeof state.status === 'string') {
      // Free text (could be a name or a sentence): only content scope carries it as sent.
      u.status = scope === 'content' ? state.status.slice(0, 32) : presenceStatus(state.status);
    }
    if (scope === 'content') {
      const user = state.user as { name?: unknown; color?: unknown } | undefined;
      const name = typeof user?.name === 'string' ? user.name : info?.displayName;
      if (name !== undefined) u.name = name.slice(0, 100);
      if (typeof user?.color === 'string') u.color = user.color.slice(0, 32);
    }
    return u;
  }
}
