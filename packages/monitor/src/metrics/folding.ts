/**
 * Room label folding: `room_id` is unbounded, so only the N most active rooms
 * keep their own label and every other room is counted under `_other`.
 *
 * Counters must stay monotonic per series, so a room's label never changes
 * mid-period: the top set is recomputed only in `rotate()` (periodically), by
 * activity summed over a sliding window of buckets, and every event is counted
 * into the label the room has at that moment. Between rotations a room not yet
 * ranked is admitted at once while the set has free slots (so a pod with few
 * rooms labels all of them immediately). A room that left the set keeps its
 * old series (frozen, still monotonic) until `staleSeriesMs` later, when the
 * caller removes them (`rotate()` returns those rooms).
 */

/** The `room_id` label value of every room outside the top set. */
export const OTHER_ROOM = '_other';

/** `room_id` label of a `<org>/<room>` path: the part after the org. */
export function roomIdOf(room: string, org: string): string {
  return room.length > org.length && room.startsWith(org) && room.charCodeAt(org.length) === 47 /* / */
    ? room.slice(org.length + 1)
    : room;
}

export interface RotateResult {
  /** Rooms that left the top set in this rotation. */
  dropped: string[];
  /** Rooms out of the set for longer than `staleSeriesMs`: their own series should be removed now. */
  expired: string[];
}

export class RoomFolder {
  private readonly top = new Set<string>();
  private readonly buckets: Map<string, number>[];
  /** Activity per room summed over the window's buckets, kept up to date incrementally. */
  private readonly totals = new Map<string, number>();
  private cur = 0;
  /** Room → time it left the top set (until its series expire or it re-enters). */
  private readonly leftAt = new Map<string, number>();

  constructor(
    private readonly topN: number,
    windowBuckets: number,
    private readonly staleSeriesMs: number,
    private readonly now: () => number = Date.now
  ) {
    const n = Math.max(1, Math.floor(windowBuckets));
    this.buckets = Array.from({ length: n }, () => new Map<string, number>());
  }

  /** Records activity of a room and returns whether it has its own label now. */
  touch(room: string, weight = 1): boolean {
    const b = this.buckets[this.cur];
    if (b) b.set(room, (b.get(room) ?? 0) + weight);
    this.totals.set(room, (this.totals.get(room) ?? 0) + weight);
    if (this.top.has(room)) return true;
    if (this.top.size < this.topN) {
      this.top.add(room);
      this.leftAt.delete(room);
      return true;
    }
    return false;
  }

  /** Whether the room currently has its own label (no activity recorded). */
  isTop(room: string): boolean {
    return this.top.has(room);
  }

  /** Label of a room right now. */
  label(room: string, org: string): string {
    return this.top.has(room) ? roomIdOf(room, org) : OTHER_ROOM;
  }

  get size(): number {
    return this.top.size;
  }

  /**
   * Recomputes the top set from the window's activity and advances the window.
   * O(rooms · log N): running totals plus a bounded heap, no full sort.
   */
  rotate(): RotateResult {
    const next = this.selectTop();
    const t = this.now();
    const dropped: string[] = [];
    for (const room of this.top) {
      if (!next.has(room)) {
        dropped.push(room);
        this.leftAt.set(room, t);
      }
    }
    this.top.clear();
    for (const room of next) {
      this.top.add(room);
      this.leftAt.delete(room);
    }
    const expired: string[] = [];
    for (const [room, at] of this.leftAt) {
      if (t - at >= this.staleSeriesMs) {
        expired.push(room);
        this.leftAt.delete(room);
      }
    }
    // Advance: the oldest bucket leaves the window.
    this.cur = (this.cur + 1) % this.buckets.length;
    const oldest = this.buckets[this.cur];
    if (oldest) {
      for (const [room, n] of oldest) {
        const left = (this.totals.get(room) ?? 0) - n;
        if (left > 0) this.totals.set(room, left);
        else this.totals.delete(room);
      }
      oldest.clear();
    }
    return { dropped, expired };
  }

  /** True when room `a` (activity `na`) ranks before `b`: more active, then incumbent, then by name. */
  private before(a: string, na: number, b: string, nb: number): boolean {
    if (na !== nb) return na > nb;
    const ia = this.top.has(a);
    if (ia !== this.top.has(b)) return ia;
    return a < b;
  }

  /** The N best-ranked active rooms, via a min-heap whose root is the worst one kept. */
  private selectTop(): Set<string> {
    const heap: Array<[string, number]> = [];
    const worse = (i: number, j: number): boolean => {
      const x = heap[i] as [string, number];
      const y = heap[j] as [string, number];
      return this.before(y[0], y[1], x[0], x[1]);
    };
    const swap = (i: number, j: number) => {
      const t = heap[i] as [string, number];
      heap[i] = heap[j] as [string, number];
      heap[j] = t;
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let w = i;
        if (l < heap.length && worse(l, w)) w = l;
        if (r < heap.length && worse(r, w)) w = r;
        if (w === i) return;
        swap(i, w);
        i = w;
      }
    };
    const up = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) return;
        swap(i, p);
        i = p;
      }
    };
    if (this.topN > 0) {
      for (const [room, n] of this.totals) {
        if (n <= 0) continue;
        if (heap.length < this.topN) {
          heap.push([room, n]);
          up(heap.length - 1);
        } else {
          const root = heap[0] as [string, number];
          if (this.before(room, n, root[0], root[1])) {
            heap[0] = [room, n];
            down(0);
          }
        }
      }
    }
    return new Set(heap.map(([room]) => room));
  }
}
