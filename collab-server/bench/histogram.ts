/**
 * Log-bucketed latency histogram (5 % relative resolution from 10 µs to
 * minutes), mergeable across worker processes; percentiles report the upper
 * bound of the bucket (pessimistic by at most 5 %).
 */
const MIN_MS = 0.01;
const GROWTH = 1.05;
const BUCKETS = 360; // 0.01 ms * 1.05^360 ≈ 430 s

export class LatencyHistogram {
  readonly counts: number[];
  count = 0;
  sum = 0;
  max = 0;

  constructor(counts?: readonly number[]) {
    this.counts = new Array<number>(BUCKETS).fill(0);
    if (counts) {
      for (let i = 0; i < BUCKETS; i++) {
        const c = counts[i] ?? 0;
        this.counts[i] = c;
        this.count += c;
      }
    }
  }

  static bucketOf(ms: number): number {
    if (!(ms > MIN_MS)) return 0;
    return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
  }

  static upperBound(bucket: number): number {
    return MIN_MS * Math.pow(GROWTH, bucket);
  }

  record(ms: number): void {
    const i = LatencyHistogram.bucketOf(ms);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { counts: readonly number[]; sum: number; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) {
      const c = other.counts[i] ?? 0;
      this.counts[i] = (this.counts[i] ?? 0) + c;
      this.count += c;
    }
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** p in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(LatencyHistogram.upperBound(i), this.max);
    }
    return this.max;
  }

  toJSON(): { counts: number[]; sum: number; max: number } {
    return { counts: [...this.counts], sum: this.sum, max: this.max };
  }
}
