/**
 * The traffic stream: the room's wire frames (direction, kind, size, connection pseudonym), in
 * batches every `flushMs`. The first 200 frames of a batch are rows of their own; the rest are
 * coalesced into one row per (connection, direction, kind) with a count, and counted in `dropped`.
 */
import type { TrafficFrame } from '@collabblocks/protocol';
import type { FrameEvent } from '../../events.js';
import { subFrame } from '../frame.js';
import type { Subscription } from '../session/session.js';
import { RoomSubscribers, type StreamContext, type StreamModule } from './stream.js';

const ROWS_PER_FLUSH = 200;

interface RoomTraffic {
  rows: TrafficFrame[];
  coalesced: Map<string, TrafficFrame>;
  dropped: number;
  timer: NodeJS.Timeout | null;
}

export class TrafficStream implements StreamModule {
  readonly stream = 'traffic';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomTraffic>();

  constructor(
    private readonly ctx: StreamContext,
    private readonly flushMs = 100
  ) {}

  subscribe(sub: Subscription): void {
    this.subs.add(sub.room as string, sub);
  }

  unsubscribe(sub: Subscription): void {
    const room = sub.room as string;
    if (this.subs.delete(room, sub) > 0) return;
    const t = this.rooms.get(room);
    if (t?.timer) clearTimeout(t.timer);
    this.rooms.delete(room);
  }

  wantsFrames(room: string): boolean {
    return this.subs.count(room) > 0;
  }

  onFrame(ev: FrameEvent): void {
    if (this.subs.count(ev.room) === 0) return;
    let t = this.rooms.get(ev.room);
    if (!t) {
      t = { rows: [], coalesced: new Map(), dropped: 0, timer: null };
      this.rooms.set(ev.room, t);
    }
    const conn = this.ctx.pseudonyms.conn(ev.connId);
    if (t.rows.length < ROWS_PER_FLUSH) {
      t.rows.push({
        ts: ev.ts,
        direction: ev.direction,
        conn,
        kind: ev.kind,
        bytes: ev.bytes,
        summary: `${ev.direction === 'in' ? 'client → pod' : 'pod → client'} ${ev.kind} ${ev.bytes} B`,
      });
    } else {
      // Coalesce: one row per conn/direction/kind carries the count and the bytes.
      const key = `${conn}|${ev.direction}|${ev.kind}`;
      const agg = t.coalesced.get(key);
      if (agg) {
        agg.count = (agg.count ?? 0) + 1;
        agg.bytes += ev.bytes;
        agg.ts = ev.ts;
        agg.summary = `${agg.count} × ${ev.kind} (coalesced)`;
      } else {
        t.coalesced.set(key, {
          ts: ev.ts,
          direction: ev.direction,
          conn,
          kind: ev.kind,
          bytes: ev.bytes,
          count: 1,
          summary: `1 × ${ev.kind} (coalesced)`,
        });
      }
      t.dropped++;
    }
    if (!t.timer) {
      const room = ev.room;
      const state = t;
      t.timer = setTimeout(() => {
        state.timer = null;
        this.flush(room, state);
      }, this.flushMs);
    }
  }

  private flush(room: string, t: RoomTraffic): void {
    const frames = t.rows.concat([...t.coalesced.values()]);
    const dropped = t.dropped;
    t.rows = [];
    t.coalesced = new Map();
    t.dropped = 0;
    const subs = this.subs.of(room);
    if (subs.size === 0 || frames.length === 0) return;
    const body = JSON.stringify({ room, frames, dropped });
    for (const sub of subs) sub.session.sendSub(sub, subFrame('traffic', sub.id, body));
  }

  close(): void {
    for (const t of this.rooms.values()) if (t.timer) clearTimeout(t.timer);
    this.rooms.clear();
  }
}
