/**
 * The presence stream: who is in the room (awareness states), as a snapshot on subscribe and
 * patches (joined / updated / left) batched every `flushMs`. Metadata scope carries pseudonyms,
 * cursors and a status from a fixed list; content scope adds names, colours and the status text.
 * A state no local connection controls came from another instance (`remote`), shown with a client
 * pseudonym every instance computes alike.
 *
 * Editor bindings (issue 13): each state is recognised (`presence/recognise`), its relative
 * positions resolved to a document location on the host's document (`presence/locate`: throttled
 * per client, memoised, never on the update path) and its activity kept — a client's document
 * update makes it active (re-sent at most every ACTIVITY_RESEND_MS per client). A caret whose block
 * others' edits moved (blocks inserted or deleted above it) is re-sent with its new location
 * although its awareness did not change: the reader's O(1) change hook arms one check per room at
 * most every RELOCATE_MS, which re-resolves only the carets those edits made stale.
 */
import type * as Y from 'yjs';
import {
  PRESENCE_STATUSES,
  type InspectScope,
  type PresenceFieldPaths,
  type PresenceStatus,
  type PresenceUser,
} from '@collabblocks/protocol';
import type { AwarenessEvent, ConnectionInfo, RoomEvent, UpdateEvent } from '../../events.js';
import type { HostRoom } from '../../host.js';
import { PerScope, subFrame } from '../frame.js';
import type { Subscription } from '../session/session.js';
import { connectionsOf, RoomSubscribers, type StreamContext, type StreamModule } from './stream.js';
import { PresenceReader, type Reading } from './presence/locate/index.js';
import { presenceFields } from './presence/render.js';

/** A client's document update makes it "active" in presence; re-sent at most this often per client. */
const ACTIVITY_RESEND_MS = 2_000;
/**
 * After document changes, carets whose block others' edits moved (a block inserted above) are
 * re-sent although their awareness did not change: checked at most this often per room.
 */
const RELOCATE_MS = 250;

export interface PresenceStreamOptions {
  /** Patch batching (default 30 ms). */
  flushMs?: number;
  /** Host-wide field paths for awareness states no built-in convention recognises. */
  fields?: PresenceFieldPaths;
  /** Fewest ms between two location resolutions of one client (default 100). */
  locateIntervalMs?: number;
}

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
  /** Recognises states, resolves locations, keeps activity, for the room's current document. */
  reader: PresenceReader | null;
  readerDoc: Y.Doc | null;
  /** Throttled locations: re-render those clients then. */
  retry: NodeJS.Timeout | null;
  /** The clients rendered with a throttled (stale) location since the last retry: only they are re-sent. */
  retryIds: Set<number>;
  /** Coalesced check for carets others' edits moved (see RELOCATE_MS). */
  relocate: NodeJS.Timeout | null;
  /** When each client's activity was last re-sent because of a document update. */
  activitySent: Map<number, number>;
}

export class PresenceStream implements StreamModule {
  readonly stream = 'presence';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomPresence>();

  private readonly flushMs: number;

  constructor(
    private readonly ctx: StreamContext,
    private readonly opts: PresenceStreamOptions = {}
  ) {
    this.flushMs = opts.flushMs ?? 30;
  }

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
        reader: null,
        readerDoc: null,
        retry: null,
        retryIds: new Set(),
        relocate: null,
        activitySent: new Map(),
      });
    }
    this.resnapshot(sub);
  }

  unsubscribe(sub: Subscription): void {
    const room = sub.room as string;
    if (this.subs.delete(room, sub) > 0) return;
    const p = this.rooms.get(room);
    if (p) this.dispose(p);
    this.rooms.delete(room);
  }

  private dispose(p: RoomPresence): void {
    if (p.timer) clearTimeout(p.timer);
    if (p.retry) clearTimeout(p.retry);
    if (p.relocate) clearTimeout(p.relocate);
    p.timer = null;
    p.retry = null;
    p.retryIds.clear();
    p.relocate = null;
    p.reader?.dispose();
    p.reader = null;
    p.readerDoc = null;
  }

  resnapshot(sub: Subscription): void {
    const name = sub.room as string;
    const p = this.rooms.get(name);
    if (!p) return;
    const room = this.ctx.host.room(name);
    const users = room
      ? this.users(p, name, room, room.awareness.getStates().keys(), sub.session.scope, sub)
      : [];
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
    this.schedule(ev.room, p);
  }

  private schedule(room: string, p: RoomPresence): void {
    if (p.timer || this.ctx.isClosing()) return;
    p.timer = setTimeout(() => {
      p.timer = null;
      this.flush(room, p);
    }, this.flushMs);
  }

  /** A document update is activity: O(1) here; re-sent with the next patch, at most every ACTIVITY_RESEND_MS. */
  onUpdate(ev: UpdateEvent): void {
    const p = this.rooms.get(ev.room);
    if (!p?.reader) return;
    p.reader.noteEdit(ev.clientId, ev.ts);
    if (ev.ts - (p.activitySent.get(ev.clientId) ?? 0) < ACTIVITY_RESEND_MS) return;
    p.activitySent.set(ev.clientId, ev.ts);
    if (!p.joined.has(ev.clientId)) p.updated.add(ev.clientId);
    this.schedule(ev.room, p);
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
    for (const p of this.rooms.values()) this.dispose(p);
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
      p.activitySent.delete(id);
      p.retryIds.delete(id);
      p.reader?.forget(id);
    }
    const subs = this.subs.of(name);
    if (!room || subs.size === 0) return;
    const ts = Date.now();
    // Subscriptions with their own presence options get their own rendering; the rest share one per scope.
    const shared = new PerScope('presencePatch', (scope) => ({
      room: name,
      ts,
      joined: this.users(p, name, room, joined, scope),
      updated: this.users(p, name, room, updated, scope),
      left,
    }));
    for (const sub of subs) {
      if (!sub.presence) {
        sub.session.sendSub(sub, shared.frame(sub));
        continue;
      }
      const scope = sub.session.scope;
      const body = {
        room: name,
        ts,
        joined: this.users(p, name, room, joined, scope, sub),
        updated: this.users(p, name, room, updated, scope, sub),
        left,
      };
      sub.session.sendSub(sub, subFrame('presencePatch', sub.id, body));
    }
  }

  /** The room's presence reader (a new one when the room's document changed: reload). */
  private readerOf(p: RoomPresence, name: string, room: HostRoom): PresenceReader {
    if (!p.reader || p.readerDoc !== room.doc) {
      p.reader?.dispose();
      p.reader = new PresenceReader(room.doc, {
        ...(this.opts.fields ? { fields: this.opts.fields } : {}),
        ...(this.opts.locateIntervalMs !== undefined ? { minIntervalMs: this.opts.locateIntervalMs } : {}),
        // O(1) on the update path: only arms the coalesced check.
        onChange: () => this.relocateLater(name, p, RELOCATE_MS),
      });
      p.readerDoc = room.doc;
    }
    return p.reader;
  }

  private relocateLater(name: string, p: RoomPresence, inMs: number): void {
    if (p.relocate || this.ctx.isClosing()) return;
    p.relocate = setTimeout(
      () => {
        p.relocate = null;
        this.relocate(name, p);
      },
      Math.max(0, inMs)
    );
    p.relocate.unref?.();
  }

  /** Re-sends the users whose caret others' edits moved (their awareness unchanged): bounded by RELOCATE_MS per room. */
  private relocate(name: string, p: RoomPresence): void {
    const room = this.ctx.host.room(name);
    if (!room || !p.reader || p.readerDoc !== room.doc || this.subs.count(name) === 0) return;
    const now = Date.now();
    const { ids, retryAt } = p.reader.moved({ snippet: this.anyContent(name), now });
    const states = room.awareness.getStates();
    let any = false;
    for (const id of ids) {
      if (!states.has(id) || p.joined.has(id) || p.left.has(id)) continue;
      p.updated.add(id);
      any = true;
    }
    if (any) this.schedule(name, p);
    // Throttled clients: checked again once they may be resolved.
    if (retryAt !== undefined) this.relocateLater(name, p, Math.max(RELOCATE_MS, retryAt - now));
  }

  private anyContent(name: string): boolean {
    for (const s of this.subs.of(name)) if (s.session.scope === 'content') return true;
    return false;
  }

  /** Throttled locations come back once their client may be resolved again. */
  private retryLater(name: string, p: RoomPresence, inMs: number): void {
    if (p.retry || this.ctx.isClosing()) return;
    p.retry = setTimeout(
      () => {
        p.retry = null;
        const room = this.ctx.host.room(name);
        const ids = [...p.retryIds];
        p.retryIds.clear();
        if (!room || this.subs.count(name) === 0) return;
        const states = room.awareness.getStates();
        for (const id of ids) if (states.has(id) && !p.joined.has(id) && !p.left.has(id)) p.updated.add(id);
        this.flush(name, p);
      },
      Math.max(0, inMs) + 5
    );
    p.retry.unref?.();
  }

  private users(
    p: RoomPresence,
    name: string,
    room: HostRoom,
    ids: Iterable<number>,
    scope: InspectScope,
    sub?: Subscription
  ): PresenceUser[] {
    const states = room.awareness.getStates();
    const reader = this.readerOf(p, name, room);
    const now = Date.now();
    // One resolution serves every scope: with a content subscriber it includes the snippet.
    const snippet = this.anyContent(name);
    const fields = sub?.presence?.fields;
    const locations = sub?.presence?.locations !== false;
    let retryAt = Infinity;
    const conns = connectionsOf(room);
    const byClient = new Map<number, ConnectionInfo>();
    if (room.connections)
      for (const [c, set] of room.connections) for (const id of set) byClient.set(id, c.info);
    const out: PresenceUser[] = [];
    for (const id of ids) {
      const state = states.get(id);
      if (!state) continue;
      const reading = reader.read(id, state, { ...(fields ? { fields } : {}), locations, snippet, now });
      if (reading.retryAt !== undefined) {
        retryAt = Math.min(retryAt, reading.retryAt);
        p.retryIds.add(id);
      }
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
          remote,
          reading
        )
      );
    }
    if (retryAt !== Infinity) this.retryLater(name, p, retryAt - now);
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
    remote: boolean,
    reading: Reading
  ): PresenceUser {
    const u: PresenceUser = {
      clientId,
      // Without the connection (a state from another instance) the client pseudonym, which
      // every instance computes alike (keyed by the shared secret).
      user: info?.userPseudonym ?? this.ctx.pseudonyms.client(org, clientId),
      // Binding, location, pointer (and the [0, 1] `cursor` older clients read), activity, name, colour.
      ...presenceFields(reading, scope),
      lastSeen,
      updates,
    };
    if (info) u.conn = this.ctx.pseudonyms.conn(info.id);
    if (remote) u.remote = true;
    if (typeof state.status === 'string') {
      // Free text (could be a name or a sentence): only content scope carries it as sent.
      u.status = scope === 'content' ? state.status.slice(0, 32) : presenceStatus(state.status);
    }
    // The connection's display name stands in for a binding that publishes none (content scope).
    if (scope === 'content' && u.name === undefined && info?.displayName !== undefined)
      u.name = info.displayName.slice(0, 100);
    return u;
  }
}
