/**
 * The metrics stream: per room, every `intervalMs`, the update rate, connections, presence,
 * wire bytes and frames in/out over the interval, and the document size. Counted only while the
 * room has metrics subscribers.
 */
import type { FrameEvent, UpdateEvent } from '../../events.js';
import { subFrame } from '../frame.js';
import type { Subscription } from '../session/session.js';
import { RoomSubscribers, type StreamContext, type StreamModule } from './stream.js';

interface RoomCounters {
  ops: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  lastTick: number;
}

export class MetricsStream implements StreamModule {
  readonly stream = 'metrics';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomCounters>();

  constructor(private readonly ctx: StreamContext) {}

  subscribe(sub: Subscription): void {
    const room = sub.room as string;
    this.subs.add(room, sub);
    const c = this.rooms.get(room);
    if (c) c.lastTick = Date.now();
    else
      this.rooms.set(room, {
        ops: 0,
        bytesIn: 0,
        bytesOut: 0,
        framesIn: 0,
        framesOut: 0,
        lastTick: Date.now(),
      });
  }

  unsubscribe(sub: Subscription): void {
    const room = sub.room as string;
    if (this.subs.delete(room, sub) === 0) this.rooms.delete(room);
  }

  wantsFrames(room: string): boolean {
    return this.rooms.has(room);
  }

  onUpdate(ev: UpdateEvent): void {
    const c = this.rooms.get(ev.room);
    if (c) c.ops++;
  }

  onFrame(ev: FrameEvent): void {
    const c = this.rooms.get(ev.room);
    if (!c) return;
    if (ev.direction === 'in') {
      c.bytesIn += ev.bytes;
      c.framesIn++;
    } else {
      c.bytesOut += ev.bytes;
      c.framesOut++;
    }
  }

  /** Called every interval by the bridge: one message per watched room, then the counters restart. */
  tick(): void {
    const now = Date.now();
    for (const [room, c] of this.rooms) {
      const intervalMs = Math.max(1, now - c.lastTick);
      const stats = this.ctx.host.room(room)?.stats?.();
      const body = {
        room,
        ts: now,
        intervalMs,
        opsPerSec: Math.round((c.ops * 1000 * 100) / intervalMs) / 100,
        connections: stats?.connections ?? 0,
        presence: stats?.presence ?? 0,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        framesIn: c.framesIn,
        framesOut: c.framesOut,
        docBytes: stats?.docBytes ?? 0,
      };
      for (const sub of this.subs.of(room)) sub.session.sendSub(sub, subFrame('metrics', sub.id, body));
      c.ops = 0;
      c.bytesIn = 0;
      c.bytesOut = 0;
      c.framesIn = 0;
      c.framesOut = 0;
      c.lastTick = now;
    }
  }

  close(): void {
    this.rooms.clear();
  }
}
