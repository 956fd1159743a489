/**
 * What every stream module is and what it is given. A stream module owns its per-room state and
 * its subscribers (a `RoomSubscribers` registry); the bridge routes subscriptions to it by stream
 * name and forwards it the host events it implements (`Partial<HostListener>`).
 *
 *   class MyStream implements StreamModule {
 *     readonly stream = 'presence';
 *     private readonly subs = new RoomSubscribers();
 *     constructor(private readonly ctx: StreamContext) {}
 *     subscribe(sub) { this.subs.add(sub); sub.session.sendSub(sub, subFrame('…', sub.id, body)); }
 *     unsubscribe(sub) { this.subs.delete(sub); }
 *     onAwareness(ev) { for (const sub of this.subs.of(ev.room)) … }
 *     close() {}
 *   }
 */
import type { InspectStream } from '@collabblocks/protocol';
import type { ConnectionInfo } from '../../events.js';
import type { HostListener, HostRoom, MonitorHost, MonitorLogger } from '../../host.js';
import type { InspectMetrics } from '../metrics.js';
import type { Pseudonyms } from '../pseudonyms.js';
import type { Subscription } from '../session/session.js';

export interface StreamContext {
  readonly host: MonitorHost;
  readonly pseudonyms: Pseudonyms;
  readonly metrics: InspectMetrics;
  readonly logger: MonitorLogger;
  /** True once the bridge is closing: no new timers. */
  isClosing(): boolean;
  /** Counts stream messages dropped for slow subscribers (`inspect_dropped_messages_total`). */
  countDrop(org: string, stream: string, n: number): void;
  /** Sends `resync {reason}` to the subscription, then (state streams) a fresh snapshot. */
  resync(sub: Subscription, dropped: number, reason: 'backpressure' | 'reload'): void;
}

export interface StreamModule extends Partial<HostListener> {
  readonly stream: InspectStream;
  /** A new subscription (the `subscribed` ack is already queued): send its snapshot, if any. */
  subscribe(sub: Subscription): void;
  unsubscribe(sub: Subscription): void;
  /** State streams: a fresh snapshot after a resync. */
  resnapshot?(sub: Subscription): void;
  /** The bridge closes: clear timers and caches. */
  close(): void;
}

const NONE: ReadonlySet<Subscription> = new Set();

/** Subscribers per room (or per org for the rooms stream). */
export class RoomSubscribers {
  private readonly byKey = new Map<string, Set<Subscription>>();

  add(key: string, sub: Subscription): number {
    let set = this.byKey.get(key);
    if (!set) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(sub);
    return set.size;
  }

  /** Returns how many subscribers the key has left. */
  delete(key: string, sub: Subscription): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    set.delete(sub);
    if (set.size === 0) this.byKey.delete(key);
    return set.size;
  }

  of(key: string): ReadonlySet<Subscription> {
    return this.byKey.get(key) ?? NONE;
  }

  count(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }
}

/**
 * Minimum spacing of tree patches / update batches per room: 4 ms per subscriber, at most 25 ms —
 * one inspector gets fresh data, many inspectors get larger, fewer messages (bounded send rate).
 */
export function flushSpacingMs(subscribers: number): number {
  return Math.min(25, 4 * Math.max(1, subscribers));
}

/** connId → connection info of a loaded room. */
export function connectionsOf(room: HostRoom | undefined): Map<string, ConnectionInfo> {
  const out = new Map<string, ConnectionInfo>();
  if (room?.connections) for (const c of room.connections.keys()) out.set(c.info.id, c.info);
  return out;
}
