/** A fixed-size ring of frame durations (ms) with a percentile read; no allocation per sample. */
export class FrameTimes {
  private readonly ring: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  count = 0;

  constructor(capacity = 600) {
    this.ring = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  push(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** The p-th percentile (0..100) of the kept samples, 0 when empty. */
  percentile(p: number): number {
    const n = this.count;
    if (n === 0) return 0;
    const s = this.scratch;
    for (let i = 0; i < n; i++) s[i] = this.ring[i] ?? 0;
    const view = s.subarray(0, n);
    view.sort();
    const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
    return view[rank] ?? 0;
  }
}
