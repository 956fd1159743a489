/**
 * The rooms stream (per org, no room): every room of the org, loaded here or stored, with its
 * connections, presence, size and activity. Sent on subscribe, every `intervalMs`, and (debounced
 * 500 ms) when a room of the org loads or unloads or a connection comes or goes. Stored sizes come
 * from the host's history store, cached for 5 s.
 */
import type { RoomInfo } from '@collabblocks/protocol';
import type { ConnectionInfo, RoomEvent } from '../../events.js';
import type { RoomStorageStats } from '../../host.js';
import { subFrame } from '../frame.js';
import type { Subscription } from '../session/session.js';
import { RoomSubscribers, type StreamContext, type StreamModule } from './stream.js';

const STORAGE_STATS_TTL_MS = 5_000;
const DIRTY_DEBOUNCE_MS = 500;

export class RoomsStream implements StreamModule {
  readonly stream = 'rooms';
  /** Subscribers per org. */
  private readonly subs = new RoomSubscribers();
  private storageStats: { at: number; value: Promise<RoomStorageStats[]> } | null = null;
  private readonly dirty = new Set<string>();
  private dirtyTimer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: StreamContext) {}

  subscribe(sub: Subscription): void {
    const org = sub.session.org as string;
    this.subs.add(org, sub);
    void this.send(org, sub);
  }

  unsubscribe(sub: Subscription): void {
    this.subs.delete(sub.session.org as string, sub);
  }

  resnapshot(sub: Subscription): void {
    void this.send(sub.session.org as string, sub);
  }

  /** Called every interval by the bridge. */
  tick(): void {
    for (const org of [...this.subs.keys()]) void this.send(org);
  }

  onConnect(conn: ConnectionInfo): void {
    this.markDirty(conn.org);
  }

  onDisconnect(conn: ConnectionInfo): void {
    this.markDirty(conn.org);
  }

  onRoomLoaded(ev: RoomEvent): void {
    this.markDirty(ev.org);
  }

  onRoomUnloaded(ev: RoomEvent): void {
    this.markDirty(ev.org);
  }

  close(): void {
    if (this.dirtyTimer) clearTimeout(this.dirtyTimer);
    this.dirtyTimer = null;
  }

  private markDirty(org: string): void {
    if (this.subs.count(org) === 0) return;
    this.dirty.add(org);
    if (this.dirtyTimer) return;
    this.dirtyTimer = setTimeout(() => {
      this.dirtyTimer = null;
      const orgs = [...this.dirty];
      this.dirty.clear();
      for (const o of orgs) void this.send(o);
    }, DIRTY_DEBOUNCE_MS);
    this.dirtyTimer.unref();
  }

  private storedStats(): Promise<RoomStorageStats[]> {
    const store = this.ctx.host.history;
    if (!store) return Promise.resolve([]);
    const now = Date.now();
    if (!this.storageStats || now - this.storageStats.at > STORAGE_STATS_TTL_MS) {
      const value = store.stats().catch((err: unknown) => {
        this.ctx.logger.warn(
          { err: (err as Error)?.message ?? String(err) },
          'inspect: storage stats failed'
        );
        return [] as RoomStorageStats[];
      });
      this.storageStats = { at: now, value };
    }
    return this.storageStats.value;
  }

  private async send(org: string, only?: Subscription): Promise<void> {
    const subs = only ? [only] : [...this.subs.of(org)];
    if (subs.length === 0) return;
    const stored = await this.storedStats();
    const byRoom = new Map<string, RoomInfo>();
    for (const s of stored) {
      if (s.org !== org) continue;
      byRoom.set(s.room, {
        room: s.room,
        org: s.org,
        loaded: false,
        connections: 0,
        presence: 0,
        docBytes: s.bytes,
        ops: s.ops,
        lastActivity: s.lastTs,
        storedBytes: s.bytes,
        lastSeq: s.lastSeq,
      });
    }
    for (const r of this.ctx.host.rooms()) {
      if (r.org !== org) continue;
      const prev = byRoom.get(r.room);
      const info: RoomInfo = {
        room: r.room,
        org: r.org,
        loaded: true,
        connections: r.connections,
        presence: r.presence,
        docBytes: r.docBytes,
        ops: r.ops,
        lastActivity: r.lastActivity,
      };
      if (prev?.storedBytes !== undefined) info.storedBytes = prev.storedBytes;
      if (prev?.lastSeq !== undefined) info.lastSeq = prev.lastSeq;
      byRoom.set(r.room, info);
    }
    const rooms = [...byRoom.values()].sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
    const body = JSON.stringify({ ts: Date.now(), rooms });
    for (const sub of subs) {
      if (sub.closed) continue;
      sub.session.sendSub(sub, subFrame('rooms', sub.id, body));
    }
  }
}
