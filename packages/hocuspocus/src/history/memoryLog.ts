/**
 * The optional timestamped update log for a Hocuspocus server: Hocuspocus stores snapshots only
 * (`onStoreDocument`), so time travel needs a record of when each update arrived. `MemoryUpdateLog`
 * keeps one in memory, fed from `onChange`, and answers the monitor's `HistoryStore` (the same read
 * side our pod's storage offers), so the history and historyTree requests work on Hocuspocus too.
 *
 * Bounded: at most `maxEntriesPerRoom` entries per room and `maxBytes` in total. The oldest entries are
 * folded into the room's base snapshot (`Y.mergeUpdates`), so the newest history stays exact and older
 * instants answer `history_pruned`. A room's history starts when this server loaded the document: the
 * state it loaded (from Hocuspocus's own storage) is the first base snapshot, and an instant before it
 * is likewise `history_pruned`. Rooms beyond the byte budget lose their history oldest-written first.
 * Memory only: a restart starts every history afresh (a durable log is a `HistoryStore` of your own).
 */
import * as Y from 'yjs';
import type {
  HistoryQuery,
  HistoryStore,
  LoadedRoom,
  RoomStorageStats,
  Snapshot,
  StoredUpdate,
} from '@collabblocks/monitor';

/**
 * What the extension feeds a history log with, besides reading it as a `HistoryStore`:
 * `begin` when a document loaded, `append` for every applied update.
 */
export interface UpdateLog extends HistoryStore {
  begin(room: string, org: string, loadedState: Uint8Array): void;
  append(room: string, update: Uint8Array): number;
}

export interface MemoryUpdateLogOptions {
  /** Entries kept per room before the oldest fold into its base snapshot (default 10 000). */
  maxEntriesPerRoom?: number;
  /** Bytes kept over all rooms (log entries + base snapshots; default 64 MiB). */
  maxBytes?: number;
  /** Clock, epoch ms (tests). */
  now?: () => number;
}

interface RoomLog {
  org: string;
  base: Snapshot;
  entries: StoredUpdate[];
  /** Bytes of `entries`' updates. */
  logBytes: number;
  lastWrite: number;
}

/** The part of a Yjs update that names its author: the first client id with structs in it. */
function authorOf(update: Uint8Array): number {
  try {
    const meta = Y.parseUpdateMeta(update);
    for (const client of meta.to.keys()) return client;
  } catch {
    // Not a decodable update: no author.
  }
  return 0;
}

export class MemoryUpdateLog implements UpdateLog {
  private readonly rooms = new Map<string, RoomLog>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private totalBytes = 0;

  constructor(opts: MemoryUpdateLogOptions = {}) {
    this.maxEntries = Math.max(2, opts.maxEntriesPerRoom ?? 10_000);
    this.maxBytes = Math.max(1024, opts.maxBytes ?? 64 * 1024 * 1024);
    this.now = opts.now ?? Date.now;
  }

  /** True once the room's history started (its loaded state is the base). */
  has(room: string): boolean {
    return this.rooms.has(room);
  }

  /**
   * Starts a room's history from the state the server loaded (`Y.encodeStateAsUpdate(document)`),
   * unless it already has one (a document unloaded and loaded again keeps its history).
   */
  begin(room: string, org: string, loadedState: Uint8Array): void {
    if (this.rooms.has(room)) return;
    const t = this.now();
    // The base claims seq 1 and the log continues at 2: an instant before the load finds no snapshot
    // and a log that does not start at 1, which the replay reports as pruned history.
    this.rooms.set(room, {
      org,
      base: { seq: 1, ts: t, state: loadedState },
      entries: [],
      logBytes: 0,
      lastWrite: t,
    });
    this.totalBytes += loadedState.byteLength;
    this.enforceBudget(room);
  }

  /** Appends an applied update; returns its seq (0 when the room's history has not begun). */
  append(room: string, update: Uint8Array): number {
    const r = this.rooms.get(room);
    if (!r) return 0;
    const last = r.entries[r.entries.length - 1];
    const seq = (last?.seq ?? r.base.seq) + 1;
    const ts = Math.max(this.now(), last?.ts ?? r.base.ts);
    r.entries.push({ seq, ts, clientId: authorOf(update), update: update.slice() });
    r.logBytes += update.byteLength;
    r.lastWrite = ts;
    this.totalBytes += update.byteLength;
    if (r.entries.length > this.maxEntries) this.fold(r, Math.ceil(this.maxEntries / 10));
    this.enforceBudget(room);
    return seq;
  }

  /** Folds the `n` oldest entries of a room into its base snapshot. */
  private fold(r: RoomLog, n: number): void {
    const folded = r.entries.splice(0, Math.min(n, r.entries.length));
    const lastFolded = folded[folded.length - 1];
    if (!lastFolded) return;
    const state = Y.mergeUpdates([r.base.state, ...folded.map((u) => u.update)]);
    const foldedBytes = folded.reduce((s, u) => s + u.update.byteLength, 0);
    this.totalBytes += state.byteLength - r.base.state.byteLength - foldedBytes;
    r.logBytes -= foldedBytes;
    r.base = { seq: lastFolded.seq, ts: lastFolded.ts, state };
  }

  /** Over the byte budget: fold the largest log by half, then drop rooms written least recently. */
  private enforceBudget(keep: string): void {
    while (this.totalBytes > this.maxBytes) {
      let largest: RoomLog | undefined;
      for (const r of this.rooms.values()) if (!largest || r.logBytes > largest.logBytes) largest = r;
      if (largest && largest.entries.length > 1) {
        this.fold(largest, Math.ceil(largest.entries.length / 2));
        continue;
      }
      let oldest: [string, RoomLog] | undefined;
      for (const e of this.rooms)
        if (e[0] !== keep && (!oldest || e[1].lastWrite < oldest[1].lastWrite)) oldest = e;
      if (!oldest) return;
      this.rooms.delete(oldest[0]);
      this.totalBytes -= oldest[1].base.state.byteLength + oldest[1].logBytes;
    }
  }

  async load(room: string): Promise<LoadedRoom> {
    const r = this.rooms.get(room);
    return r ? { snapshot: r.base, updates: [...r.entries] } : { snapshot: null, updates: [] };
  }

  async readRange(q: HistoryQuery): Promise<StoredUpdate[]> {
    const r = this.rooms.get(q.room);
    if (!r) return [];
    const out: StoredUpdate[] = [];
    for (const u of r.entries) {
      if (u.ts > q.toTs || out.length >= q.limit) break;
      if (u.ts >= q.fromTs) out.push(u);
    }
    return out;
  }

  async readAfter(room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]> {
    const r = this.rooms.get(room);
    if (!r) return [];
    const first = r.entries[0];
    if (!first) return [];
    const start = Math.max(0, afterSeq + 1 - first.seq);
    return r.entries.slice(start, start + Math.max(0, limit));
  }

  async snapshotAtOrBefore(room: string, ts: number): Promise<Snapshot | null> {
    const r = this.rooms.get(room);
    return r && r.base.ts <= ts ? r.base : null;
  }

  async stats(): Promise<RoomStorageStats[]> {
    const out: RoomStorageStats[] = [];
    for (const [room, r] of this.rooms) {
      const last = r.entries[r.entries.length - 1];
      out.push({
        room,
        org: r.org,
        bytes: r.base.state.byteLength + r.logBytes,
        ops: r.entries.length,
        lastSeq: last?.seq ?? r.base.seq,
        lastTs: last?.ts ?? 0,
      });
    }
    return out;
  }
}
