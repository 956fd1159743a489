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

  /** Recomputes the top set from the window's activity and advances the window. */
  rotate(): RotateResult {
    const totals = new Map<string, number>();
    for (const b of this.buckets) {
      for (const [room, n] of b) totals.set(room, (totals.get(room) ?? 0) + n);
    }
    const ranked = [...totals.entries()].filter(([, n]) => n > 0);
    // Most active first; on ties incumbents first (less churn), then by name (deterministic).
    ranked.sort((a, b) => {
      if (b[1] !== a[1]) return b[1] - a[1];
      const ia = this.top.has(a[0]) ? 0 : 1;
      const ib = this.top.has(b[0]) ? 0 : 1;
      if (ia !== ib) return ia - ib;
      return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
    });
    const next = new Set<string>();
    for (const [room] of ranked) {
      if (next.size >= this.topN) break;
      next.add(room);
    }
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
    this.cur = (this.cur + 1) % this.buckets.length;
    this.buckets[this.cur]?.clear();
    return { dropped, expired };
  }
}
