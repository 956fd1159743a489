/**
 * The updates stream: one summary per document update (author, size, inserted/deleted counts,
 * changed paths; content scope adds a preview), batched per room with a spacing that grows with
 * the number of subscribers. The update path only records (O(1)); decoding happens in the batch,
 * against the room's document as the batch finds it (paths and Y.Text lines in today's document;
 * one line index per batch).
 * A room buffers at most 2,000 updates between batches; beyond that updates are dropped and a
 * `resync {dropped}` follows the batch.
 */
import type { UpdateSummary } from '@collabblocks/protocol';
import type { UpdateEvent } from '../../../events.js';
import { PerScope, subFrame } from '../../frame.js';
import type { Subscription } from '../../session/session.js';
import {
  connectionsOf,
  flushSpacingMs,
  RoomSubscribers,
  type StreamContext,
  type StreamModule,
} from '../stream.js';
import { LineIndex } from './lineIndex.js';
import { formatFields, lineFields, summarizeUpdate } from './updateSummary.js';

const MAX_PENDING_UPDATES = 2_000;

interface RoomUpdates {
  readonly org: string;
  pending: Array<{ ev: UpdateEvent; at: number }>;
  scheduled: boolean;
  dropped: number;
  lastFlush: number;
}

export class UpdatesStream implements StreamModule {
  readonly stream = 'updates';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomUpdates>();

  constructor(private readonly ctx: StreamContext) {}

  subscribe(sub: Subscription): void {
    const room = sub.room as string;
    this.subs.add(room, sub);
    if (!this.rooms.has(room)) {
      this.rooms.set(room, {
        org: sub.session.org as string,
        pending: [],
        scheduled: false,
        dropped: 0,
        lastFlush: 0,
      });
    }
  }

  unsubscribe(sub: Subscription): void {
    const room = sub.room as string;
    // A scheduled batch finds no subscribers and discards its updates.
    if (this.subs.delete(room, sub) === 0) this.rooms.delete(room);
  }

  onUpdate(ev: UpdateEvent): void {
    const u = this.rooms.get(ev.room);
    if (!u) return;
    const subscribers = this.subs.count(ev.room);
    if (u.pending.length >= MAX_PENDING_UPDATES) {
      u.dropped++;
      this.ctx.countDrop(u.org, 'updates', subscribers);
      return;
    }
    const at = performance.now();
    u.pending.push({ ev, at });
    if (!u.scheduled) {
      u.scheduled = true;
      const wait = flushSpacingMs(subscribers) - (at - u.lastFlush);
      if (wait > 0) setTimeout(() => this.flush(ev.room, u), wait);
      else setImmediate(() => this.flush(ev.room, u));
    }
  }

  close(): void {
    this.rooms.clear();
  }

  private flush(name: string, u: RoomUpdates): void {
    u.scheduled = false;
    u.lastFlush = performance.now();
    const pending = u.pending;
    u.pending = [];
    // Updates that arrived while the room's buffer was full were not summarised.
    const dropped = u.dropped;
    u.dropped = 0;
    const subs = this.subs.of(name);
    if (subs.size === 0) return;
    if (pending.length === 0) {
      this.reportDropped(name, dropped);
      return;
    }
    const room = this.ctx.host.room(name);
    const conns = connectionsOf(room);
    const items: Array<{ content: UpdateSummary; metadata: UpdateSummary }> = [];
    const lineIndex = new LineIndex();
    for (const { ev } of pending) {
      let d;
      try {
        d = room ? summarizeUpdate(ev.update, room.doc, true, lineIndex) : null;
      } catch {
        d = null;
      }
      const base: UpdateSummary = {
        ts: ev.ts,
        clientId: ev.clientId,
        origin: ev.origin,
        bytes: ev.update.byteLength,
        inserted: d?.inserted ?? 0,
        deleted: d?.deleted ?? 0,
        paths: d?.paths ?? [],
      };
      if (ev.seq > 0) base.seq = ev.seq;
      if (d?.pathsTruncated) base.pathsTruncated = true;
      if (d) Object.assign(base, lineFields(d));
      if (ev.connId !== undefined) {
        base.conn = this.ctx.pseudonyms.conn(ev.connId);
        const info = conns.get(ev.connId);
        if (info) base.user = info.userPseudonym;
      }
      // Formatting ("formatted 12 chars bold") apart from inserts; mark values content-only.
      items.push({
        content: { ...base, preview: d?.preview ?? [], ...(d ? formatFields(d, true) : {}) },
        metadata: { ...base, ...(d ? formatFields(d, false) : {}) },
      });
    }
    const body = new PerScope('updates', (scope) => ({
      room: name,
      items: items.map((i) => (scope === 'content' ? i.content : i.metadata)),
    }));
    for (const sub of subs) sub.session.sendSub(sub, body.frame(sub));
    // The gap follows this batch: say so, so a client knows its list is incomplete.
    this.reportDropped(name, dropped);
    const now = performance.now();
    for (const p of pending) this.ctx.metrics.diffLatency.observe(now - p.at);
  }

  /** `resync {stream:'updates', dropped, reason:'backpressure'}` to every updates subscriber of the room. */
  private reportDropped(room: string, dropped: number): void {
    if (dropped === 0) return;
    for (const sub of this.subs.of(room)) {
      sub.session.sendSub(
        sub,
        subFrame('resync', sub.id, { stream: 'updates', room, dropped, reason: 'backpressure' })
      );
    }
  }
}
