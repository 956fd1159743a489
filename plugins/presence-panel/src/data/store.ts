/**
 * The panel's model: rooms → users, folded from successive presence
 * snapshots. Entries are updated in place (no per-update object churn for
 * users who stay), users who left a snapshot are removed, and both the users
 * per room and the rooms are bounded (eviction), so memory stays flat over
 * hours. Each room owns a decaying heatmap that every update's cursors feed.
 */
import type { DataFrame } from '@grafana/data';

import { hashString, paletteIndex } from './colors';
import { HeatGrid } from './heatmap';
import { forEachPresenceRow, type PresenceRowView, type PresenceScope, type PresenceStatus } from './parse';
import { isStale, observe, type StaleRules, type StalenessState } from './staleness';

export interface UserEntry extends StalenessState {
  /** Stable string key (React lists). */
  key: string;
  /** Map key: the awareness client id, or a hash of the user id when the source has none. */
  id: number;
  user: string;
  label: string;
  clientId: number;
  x: number;
  y: number;
  status: PresenceStatus;
  lastSeen: number;
  updateCount: number;
  /** Index into the theme palette (hash of `user`). */
  paletteIdx: number;
  /** Update generation that last saw this entry. */
  gen: number;
}

export interface StoreOptions {
  gridSize: number;
  halfLifeMs: number;
  paletteSize: number;
  stale: StaleRules;
  /** Users kept per room (rows beyond it are dropped and counted). */
  maxUsers: number;
  /** Rooms kept (least recently updated evicted). */
  maxRooms: number;
}

export class RoomPresence {
  readonly users = new Map<number, UserEntry>();
  /** Users as an array (refilled in place per update, read by the renderer every frame). */
  readonly list: UserEntry[] = [];
  heat: HeatGrid;
  scope: PresenceScope = 'metadata';
  updatedAt = 0;
  gen = 0;
  /** Rows dropped by the maxUsers bound in the last update. */
  dropped = 0;
  /** Bumped on every update (renderers redraw when it moves). */
  version = 0;

  constructor(
    readonly name: string,
    opts: StoreOptions
  ) {
    this.heat = new HeatGrid(opts.gridSize, opts.halfLifeMs);
  }

  staleCount(now: number, rules: StaleRules): number {
    let n = 0;
    for (const u of this.list) if (isStale(u, now, rules)) n++;
    return n;
  }
}

export class PresenceStore {
  readonly rooms = new Map<string, RoomPresence>();
  private gen = 0;
  private opts: StoreOptions;

  constructor(opts: StoreOptions) {
    this.opts = { ...opts };
  }

  get options(): Readonly<StoreOptions> {
    return this.opts;
  }

  /** Applies new options; a changed grid size resets the heatmaps, a changed palette recolours. */
  configure(opts: StoreOptions): void {
    const prev = this.opts;
    this.opts = { ...opts };
    for (const room of this.rooms.values()) {
      if (prev.gridSize !== opts.gridSize) room.heat = new HeatGrid(opts.gridSize, opts.halfLifeMs);
      room.heat.halfLifeMs = opts.halfLifeMs;
      if (prev.paletteSize !== opts.paletteSize) {
        for (const u of room.list) u.paletteIdx = paletteIndex(u.user, opts.paletteSize);
      }
    }
  }

  roomNames(): string[] {
    return [...this.rooms.keys()].sort();
  }

  /** Folds one data response (the full set of presence snapshots). */
  ingest(frames: readonly DataFrame[], now: number): void {
    const gen = ++this.gen;
    const opts = this.opts;
    forEachPresenceRow(frames, (row) => this.fold(row, gen, now));
    for (const room of this.rooms.values()) {
      if (room.gen !== gen) {
        // Not in this response: everyone left; the heatmap keeps fading.
        if (room.users.size > 0) {
          room.users.clear();
          room.list.length = 0;
          room.version++;
        }
        continue;
      }
      const list = room.list;
      list.length = 0;
      for (const [id, u] of room.users) {
        if (u.gen !== gen) room.users.delete(id);
        else list.push(u);
      }
      for (const u of list) {
        if (Number.isFinite(u.x) && u.status !== 'away' && !isStale(u, now, opts.stale)) {
          room.heat.add(u.x, u.y);
        }
      }
      room.version++;
    }
    this.evictRooms();
  }

  private fold(row: PresenceRowView, gen: number, now: number): void {
    let room = this.rooms.get(row.room);
    if (!room) {
      room = new RoomPresence(row.room, this.opts);
      this.rooms.set(row.room, room);
    }
    if (room.gen !== gen) {
      room.gen = gen;
      room.dropped = 0;
      room.updatedAt = now;
      room.scope = row.scope;
    }
    const id = row.clientId !== 0 ? row.clientId : -1 - (hashString(row.user) & 0x3fffffff);
    let u = room.users.get(id);
    if (u && u.user !== row.user) {
      // Same client id, another user (a reused id or a source without client ids): a new presence.
      room.users.delete(id);
      u = undefined;
    }
    if (!u) {
      if (room.users.size >= this.opts.maxUsers) {
        room.dropped++;
        return;
      }
      u = {
        key: `${row.user}#${row.clientId}`,
        id,
        user: row.user,
        label: row.label,
        clientId: row.clientId,
        x: row.x,
        y: row.y,
        status: row.status,
        lastSeen: row.lastSeen,
        updateCount: row.updateCount,
        paletteIdx: paletteIndex(row.user, this.opts.paletteSize),
        gen,
        unchanged: 0,
        changedAt: now,
      };
      room.users.set(id, u);
      return;
    }
    if (u.gen === gen) return; // duplicate row in one response (same client on two frames)
    const changed = !sameCoord(u.x, row.x) || !sameCoord(u.y, row.y) || u.status !== row.status;
    observe(u, changed, now);
    u.label = row.label;
    u.x = row.x;
    u.y = row.y;
    u.status = row.status;
    u.lastSeen = row.lastSeen;
    u.updateCount = row.updateCount;
    u.gen = gen;
  }

  private evictRooms(): void {
    if (this.rooms.size <= this.opts.maxRooms) return;
    const byAge = [...this.rooms.values()].sort((a, b) => a.updatedAt - b.updatedAt);
    for (const r of byAge.slice(0, this.rooms.size - this.opts.maxRooms)) this.rooms.delete(r.name);
  }
}

function sameCoord(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
