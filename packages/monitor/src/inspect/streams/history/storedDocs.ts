/**
 * The stored state of rooms that are not loaded on this pod, kept briefly:
 * a `tree` subscription flood or a series of `history` pages for such a room
 * loads it from storage once (single flight, under the pod's rebuild gate),
 * not once per request. Its tree comes from a `TreeTracker` on the stored doc
 * — the same time-sliced walk (and chunk streaming while it builds) as for a
 * loaded room — built once per cached doc.
 *
 * Freshness: an entry lives `ttlMs` from its load (default 5 s), and a caller
 * that needs the log up to some seq (a history page) gets a fresh load when
 * the cached state is older. The bridge drops the entry when the room loads
 * or unloads here. Bounded: at most `maxEntries` docs; an entry still leased
 * (a snapshot streaming) is destroyed when its last lease is released.
 */
import * as Y from 'yjs';
import type { HistoryStore } from '../../../host.js';
import { HistoryError, loadStoredDoc } from './replay.js';
import { TreeTracker } from '../tree/treeTracker.js';

export interface StoredDocLease {
  readonly doc: Y.Doc;
  /** Highest log seq folded into `doc` (0 when the room has none). */
  readonly seq: number;
  /** The tree cache of this doc (created, and its time-sliced walk started, on first use). */
  tracker(): TreeTracker;
  release(): void;
}

interface Entry {
  room: string;
  doc: Y.Doc;
  seq: number;
  tracker: TreeTracker | null;
  refs: number;
  stale: boolean;
  timer: NodeJS.Timeout | null;
}

interface Slot {
  promise: Promise<Entry>;
  entry: Entry | null;
}

export interface StoredDocsOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Wraps each load (the bridge passes its rebuild gate). */
  gate?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export class StoredDocs {
  private readonly slots = new Map<string, Slot>();
  /** Loads from storage so far (tests). */
  loads = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly gate: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly storage: HistoryStore,
    opts: StoredDocsOptions = {}
  ) {
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 4;
    this.gate = opts.gate ?? ((fn) => fn());
  }

  /** The stored state of `room`, at least up to log seq `minSeq`. Release the lease when done. */
  async acquire(room: string, minSeq = 0): Promise<StoredDocLease> {
    for (let attempt = 0; ; attempt++) {
      let slot = this.slots.get(room);
      if (slot?.entry && slot.entry.seq < minSeq) {
        this.invalidate(room);
        slot = undefined;
      }
      if (!slot) {
        slot = this.open(room);
        this.slots.set(room, slot);
        this.evict();
      }
      const e = await slot.promise;
      if (!e.stale && (e.seq >= minSeq || attempt >= 2)) return this.lease(e);
      // Dropped while loading (the room loaded here, eviction), or the log moved on meanwhile.
      if (this.slots.get(room) === slot) this.invalidate(room);
      if (attempt >= 2) {
        throw new HistoryError('storage_error', 'the stored state kept changing while loading; retry');
      }
    }
  }

  /** Drops the cached state of `room` (it loaded or unloaded here: storage moved on). */
  invalidate(room: string): void {
    const slot = this.slots.get(room);
    if (!slot) return;
    this.slots.delete(room);
    // Still loading: the load disposes its doc when it lands (no lease is ever taken on it).
    if (slot.entry) this.retire(slot.entry);
  }

  close(): void {
    for (const room of [...this.slots.keys()]) this.invalidate(room);
  }

  private lease(e: Entry): StoredDocLease {
    e.refs++;
    let released = false;
    return {
      doc: e.doc,
      seq: e.seq,
      tracker: () => {
        // The stored doc never changes: the tracker only walks it (time-sliced), no patches.
        e.tracker ??= new TreeTracker(
          e.doc,
          { clientTime: () => undefined, lastChange: new WeakMap() },
          () => undefined
        );
        return e.tracker;
      },
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        if (e.refs === 0 && e.stale) this.dispose(e);
      },
    };
  }

  /** Rooms cached right now (tests). */
  get size(): number {
    return this.slots.size;
  }

  private open(room: string): Slot {
    const slot: Slot = { promise: Promise.resolve(null as unknown as Entry), entry: null };
    slot.promise = this.gate(() => this.load(room)).then(
      (e) => {
        if (this.slots.get(room) !== slot) {
          // Dropped while loading: whoever awaits it sees `stale` and loads again.
          e.stale = true;
          this.dispose(e);
          return e;
        }
        slot.entry = e;
        e.timer = setTimeout(() => {
          if (this.slots.get(room) === slot) this.invalidate(room);
        }, this.ttlMs);
        e.timer.unref();
        return e;
      },
      (err: unknown) => {
        if (this.slots.get(room) === slot) this.slots.delete(room);
        throw err;
      }
    );
    return slot;
  }

  private async load(room: string): Promise<Entry> {
    const { doc, seq } = await loadStoredDoc(this.storage, room);
    this.loads++;
    return { room, doc, seq, tracker: null, refs: 0, stale: false, timer: null };
  }

  private evict(): void {
    // Oldest first (Map order is insertion order).
    for (const room of this.slots.keys()) {
      if (this.slots.size <= this.maxEntries) break;
      this.invalidate(room);
    }
  }

  private retire(e: Entry): void {
    e.stale = true;
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    if (e.refs === 0) this.dispose(e);
  }

  private dispose(e: Entry): void {
    e.tracker?.close();
    e.tracker = null;
    e.doc.destroy();
  }
}
