/**
 * The panel's model: rooms → users, folded from successive presence
 * snapshots. Entries are updated in place (no per-update object churn for
 * users who stay), users who left a snapshot are removed, and both the users
 * per room and the rooms are bounded (eviction), so memory stays flat over
 * hours. Each room owns a decaying heatmap fed by its visible cursors.
 *
 * The datasource gives one room per query, so a response holds one frame per
 * room and every emission of any query re-delivers the other rooms' unchanged
 * frames. Therefore:
 * - an update counts for a room (staleness rule N) only when its frame
 *   changed: `meta.custom.ts` moved, or a row differs (a user joined, left or
 *   changed anything), never because another room emitted;
 * - heat is weighted by elapsed time (seconds of presence since the room's
 *   previous sample, capped), not by how often responses arrive;
 * - heatmaps are decayed to the response time before samples are added, in
 *   every room, drawn or not;
 * - rooms absent from the data (no rows) for longer than a short grace are
 *   dropped.
 */
import type { DataFrame } from '@grafana/data';

import { hashString, paletteIndex } from './colors';
import { CanvasFit } from './canvasFit';
import { BlockHeat, blocksFromTree, type BlockInfo } from './docLayout';
import { ALL_TIME, editHeatOf, NO_EDIT_HEAT, type EditHeat, type HeatWindow } from './editHeat';
import { HeatGrid } from './heatmap';
import {
  emptyPresenceFields,
  forEachPresenceRow,
  PRESENCE_FIELD_KEYS,
  type PresenceFields,
  type PresenceRowView,
  type PresenceScope,
} from './parse';
import { isStale, observe, type StaleRules, type StalenessState } from './staleness';

/** A user of a room: the presence fields of their latest row, plus the model's bookkeeping. */
export interface UserEntry extends StalenessState, PresenceFields {
  /** Stable string key (React lists). */
  key: string;
  /** Map key: the awareness client id, or a hash of the user id when the source has none. */
  id: number;
  user: string;
  clientId: number;
  /** Index into the theme palette (hash of `user`). */
  paletteIdx: number;
  /** Update generation that last saw this entry. */
  gen: number;
  /** Room of the entry. */
  room: string;
  /** Update generation that created this entry. */
  bornGen: number;
  /** The visible state (cursor, status, caret location) or the activity time changed in the update of generation `gen`. */
  moved: boolean;
}

/** The row fields copied onto a user entry as they are. */
const COPIED = PRESENCE_FIELD_KEYS;

/** Fields whose change makes a user active (a caret that moves, a selection that grows, an edit). */
const ACTIVITY = [
  'x',
  'y',
  'block',
  'line',
  'column',
  'selection',
  'anchorBlock',
  'locState',
  'lastActive',
] as const;

/** Heat weight of a room's first sample (ms), as if the previous sample were this long ago. */
export const FIRST_SAMPLE_MS = 1000;
/** Largest heat weight of one sample (ms): a gap in the data (a stalled stream) is not counted as presence. */
export const MAX_SAMPLE_MS = 5000;
/** A room absent from the data (no rows) for longer than this is dropped from the model and the selector. */
export const ROOM_GRACE_MS = 5000;

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
  /** Time of the last response that held this room. */
  updatedAt = 0;
  gen = 0;
  /** Rows dropped by the maxUsers bound in the last update. */
  dropped = 0;
  /** Bumped when the room's frame changed (renderers redraw when it moves). */
  version = 0;
  /** Updates counted for this room (responses in which its frame changed). */
  updates = 0;
  /** `meta.custom.ts` of the room's last frame (NaN: none). */
  lastTs = NaN;
  /** Time of the last heat sample (heat is weighted by the time since). */
  sampledAt: number;
  /** Since when the room is absent from the data (NaN while present). */
  absentSince = NaN;
  /** Set while folding a response when a row of this room differs from the model. */
  changed = false;
  /** Newest `ts` of the room's frames in the response being folded. */
  pendingTs = NaN;
  /** Canvas view: the coordinate space fitted to the pointers seen. */
  readonly fit = new CanvasFit();
  /** `fit.version` the heat grid was sampled in. */
  heatFitVersion = 0;
  /** Document view: the root most located users are in, its block count, per-block heat and info. */
  docRoot = '';
  docBlocks = 0;
  readonly blockHeat: BlockHeat;
  blockInfo: BlockInfo[] = [];
  /** Document view: where edits landed per block (from the update rows in the data). */
  editHeat: EditHeat = NO_EDIT_HEAT;

  constructor(
    readonly name: string,
    opts: StoreOptions,
    now = 0
  ) {
    this.heat = new HeatGrid(opts.gridSize, opts.halfLifeMs);
    this.blockHeat = new BlockHeat(opts.halfLifeMs);
    this.sampledAt = now - FIRST_SAMPLE_MS;
  }

  /** The document the room's located users are in: the most common root, its largest block count. */
  updateDocument(): void {
    const byRoot = new Map<string, number>();
    for (const u of this.list)
      if (u.root && Number.isFinite(u.blocks)) byRoot.set(u.root, (byRoot.get(u.root) ?? 0) + 1);
    let root = '';
    let best = 0;
    for (const [r, n] of byRoot) if (n > best || (n === best && r < root)) [root, best] = [r, n];
    let blocks = 0;
    for (const u of this.list) if (u.root === root && u.blocks > blocks) blocks = u.blocks;
    if (this.blockInfo.length > blocks && root === this.docRoot) blocks = this.blockInfo.length;
    if (root !== this.docRoot) this.blockHeat.resize(0);
    this.docRoot = root;
    this.docBlocks = blocks;
    this.blockHeat.resize(blocks);
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
      room.blockHeat.halfLifeMs = opts.halfLifeMs;
      if (prev.paletteSize !== opts.paletteSize) {
        for (const u of room.list) u.paletteIdx = paletteIndex(u.user, opts.paletteSize);
      }
    }
  }

  roomNames(): string[] {
    return [...this.rooms.keys()].sort();
  }

  /**
   * Folds one data response (the full set of presence snapshots) received at `now` (epoch ms); edit
   * heat counts the updates inside `window` (the dashboard's time range).
   */
  ingest(frames: readonly DataFrame[], now: number, window: HeatWindow = ALL_TIME): void {
    const gen = ++this.gen;
    forEachPresenceRow(frames, (row) => this.fold(row, gen, now));
    for (const room of this.rooms.values()) {
      if (room.gen !== gen) {
        // Not in this response: everyone left; the heatmap keeps fading; dropped after the grace.
        if (room.users.size > 0) {
          room.users.clear();
          room.list.length = 0;
          room.version++;
        }
        if (Number.isNaN(room.absentSince)) room.absentSince = now;
        continue;
      }
      room.absentSince = NaN;
      const list = room.list;
      const before = list.length;
      list.length = 0;
      for (const [id, u] of room.users) {
        if (u.gen !== gen) room.users.delete(id);
        else list.push(u);
      }
      // A new frame (its timestamp moved, e.g. a keep-alive), someone left, or a row changed: the
      // room's frame changed and this update counts.
      const counted = room.changed || list.length !== before || !sameCoord(room.pendingTs, room.lastTs);
      room.changed = false;
      room.lastTs = room.pendingTs;
      if (counted) {
        room.updates++;
        for (const u of list) if (u.bornGen !== gen) observe(u, u.moved, now);
        room.version++;
      }
      for (const u of list) if (u.space !== '' && Number.isFinite(u.x)) room.fit.observe(u.x, u.y, u.space);
      if (list.length > 0 && list.every((u) => u.space === '')) room.fit.observe(0, 0, '');
      room.updateDocument();
      const info = blocksFromTree(frames, room.name, room.docRoot);
      if (info.length > 0) {
        room.blockInfo = info;
        room.updateDocument();
      }
      room.editHeat = editHeatOf(frames, room.name, room.docRoot, room.docBlocks, window);
      this.sample(room, now);
    }
    this.expire(now);
    this.evictRooms();
  }

  /** Drops rooms absent from the data for longer than ROOM_GRACE_MS; returns whether any went. */
  expire(now: number): boolean {
    let any = false;
    for (const room of this.rooms.values()) {
      if (!Number.isNaN(room.absentSince) && now - room.absentSince > ROOM_GRACE_MS) {
        this.rooms.delete(room.name);
        any = true;
      }
    }
    return any;
  }

  /**
   * Adds the room's visible cursors (not away, not stale) to its heatmap, weighted by the seconds since
   * its previous sample (capped at MAX_SAMPLE_MS), after decaying the heatmap to `now`.
   */
  private sample(room: RoomPresence, now: number): void {
    if (room.heatFitVersion !== room.fit.version) {
      // The canvas' coordinate space grew: heat sampled in the old one would sit in the wrong place.
      room.heat = new HeatGrid(room.heat.size, room.heat.halfLifeMs);
      room.heatFitVersion = room.fit.version;
    }
    room.heat.decay(now);
    room.blockHeat.decay(now);
    const elapsed = Math.min(MAX_SAMPLE_MS, now - room.sampledAt);
    if (!(elapsed > 0)) return;
    room.sampledAt = now;
    const weight = elapsed / 1000;
    const rules = this.opts.stale;
    const fit = room.fit;
    for (const u of room.list) {
      if (u.status === 'away' || isStale(u, now, rules)) continue;
      if (Number.isFinite(u.x)) {
        room.heat.add(u.space === '' ? u.x : fit.normX(u.x), u.space === '' ? u.y : fit.normY(u.y), weight);
      }
      if (u.root === room.docRoot && Number.isFinite(u.block)) room.blockHeat.add(u.block, weight);
    }
  }

  private fold(row: PresenceRowView, gen: number, now: number): void {
    let room = this.rooms.get(row.room);
    if (!room) {
      room = new RoomPresence(row.room, this.opts, now);
      this.rooms.set(row.room, room);
    }
    if (room.gen !== gen) {
      room.gen = gen;
      room.dropped = 0;
      room.updatedAt = now;
      if (room.scope !== row.scope) room.changed = true;
      room.scope = row.scope;
      room.pendingTs = row.ts;
    } else if (Number.isNaN(room.pendingTs) || row.ts > room.pendingTs) {
      // Rows of one room on several frames: the newest timestamp counts.
      room.pendingTs = row.ts;
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
      room.changed = true;
      u = {
        key: `${row.user}#${row.clientId}`,
        id,
        user: row.user,
        clientId: row.clientId,
        ...copyFields(row),
        paletteIdx: paletteIndex(row.user, this.opts.paletteSize),
        gen,
        room: room.name,
        bornGen: gen,
        moved: false,
        unchanged: 0,
        changedAt: firstSeenChangedAt(row, now),
      };
      room.users.set(id, u);
      return;
    }
    if (u.gen === gen) return; // duplicate row in one response (same client on two frames)
    // Activity (staleness): the caret or pointer moved, the status changed, or the pod saw the client
    // move or edit (`lastActive`) — a user typing is active although their awareness state is unchanged.
    let moved = u.status !== row.status;
    for (const k of ACTIVITY) {
      const a = u[k];
      const b = row[k];
      if (typeof a === 'number' ? !sameCoord(a, b as number) : a !== b) moved = true;
    }
    u.moved = moved;
    if (!room.changed) {
      for (const k of COPIED) {
        const a = u[k];
        const b = row[k];
        if (typeof a === 'number' ? !sameCoord(a, b as number) : a !== b) {
          room.changed = true;
          break;
        }
      }
    }
    for (const k of COPIED) (u as unknown as Record<string, unknown>)[k] = row[k];
    u.gen = gen;
  }

  private evictRooms(): void {
    if (this.rooms.size <= this.opts.maxRooms) return;
    const byAge = [...this.rooms.values()].sort((a, b) => a.updatedAt - b.updatedAt);
    for (const r of byAge.slice(0, this.rooms.size - this.opts.maxRooms)) this.rooms.delete(r.name);
  }
}

/**
 * `changedAt` of a presence seen for the first time: its `lastSeen`, so the time rule does not restart
 * when the panel reloads (an abandoned tab is stale at once). The age is measured on the source's clock
 * (against the frame's `ts` when present) so a skewed browser clock neither ages nor rejuvenates anyone.
 */
export function firstSeenChangedAt(row: Pick<PresenceRowView, 'lastSeen' | 'ts'>, now: number): number {
  if (!Number.isFinite(row.lastSeen)) return now;
  const ref = Number.isFinite(row.ts) ? row.ts : now;
  return now - Math.max(0, ref - row.lastSeen);
}

/** The presence fields of a row, as a new object (a user entry's first state). */
function copyFields(row: PresenceRowView): PresenceFields {
  const out = emptyPresenceFields();
  for (const k of PRESENCE_FIELD_KEYS) (out as unknown as Record<string, unknown>)[k] = row[k];
  return out;
}

function sameCoord(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
