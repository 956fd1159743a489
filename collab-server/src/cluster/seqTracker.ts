/**
 * Which seqs of one room's log this pod has applied. `watermark` is the
 * highest seq such that every seq <= it is applied; seqs above it that are
 * applied are kept in a small set. A hole (a seq above the watermark missing
 * while a later one is applied) means a missed or late pub/sub message: the
 * caller waits a short grace period, then reads the log after the watermark
 * from storage.
 */
export class SeqTracker {
  private mark = 0;
  private readonly above = new Set<number>();

  constructor(baseline: number) {
    this.mark = Math.max(0, Math.floor(baseline));
  }

  get watermark(): number {
    return this.mark;
  }

  /** True when `seq` is already applied. */
  has(seq: number): boolean {
    return seq <= this.mark || this.above.has(seq);
  }

  /** Records `seq` as applied; returns false when it already was. */
  add(seq: number): boolean {
    if (this.has(seq)) return false;
    this.above.add(seq);
    while (this.above.delete(this.mark + 1)) this.mark += 1;
    return true;
  }

  /** Everything up to `seq` is known applied (e.g. the room loaded that far). */
  advanceTo(seq: number): void {
    if (seq <= this.mark) return;
    this.mark = seq;
    for (const s of this.above) if (s <= seq) this.above.delete(s);
    while (this.above.delete(this.mark + 1)) this.mark += 1;
  }

  /** True when some seq above the watermark is applied while one below it is missing. */
  get hasHoles(): boolean {
    return this.above.size > 0;
  }

  /** Highest applied seq (watermark when there are no holes). */
  get highest(): number {
    let h = this.mark;
    for (const s of this.above) if (s > h) h = s;
    return h;
  }
}
