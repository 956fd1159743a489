/**
 * Connections per room per pod, for `/api/rooms` across the cluster: each pod writes its own counts in a
 * Redis hash with a TTL (refreshed every `intervalMs`, and shortly after a connection or room change),
 * and registers itself in a sorted set of pods by heartbeat time; any pod merges every live pod's hash.
 */
import type { Redis } from 'ioredis';
import type { ClusterHost } from './host.js';

export interface PodCountsDeps {
  /** The cluster's command connection (commands fail fast while Redis is down). */
  redis: Redis;
  pod: string;
  /** Prefixes a key (`collab:` by default). */
  key(k: string): string;
  intervalMs: number;
  ttlMs: number;
  host(): ClusterHost | null;
  stopped(): boolean;
  onError(op: string, err: unknown): void;
}

export class PodCounts {
  private timer: NodeJS.Timeout | null = null;
  private flush: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PodCountsDeps) {}

  /** Starts the periodic refresh and writes once now. */
  start(): void {
    this.timer = setInterval(() => void this.write(), this.deps.intervalMs);
    this.timer.unref();
    void this.write();
  }

  /** Stops the refresh and, when Redis is reachable, takes this pod's counts out at once. */
  async stop(): Promise<void> {
    for (const t of [this.timer, this.flush]) if (t) clearTimeout(t);
    const { redis, pod } = this.deps;
    if (redis.status === 'ready') {
      await redis
        .multi()
        .del(this.podKey(pod))
        .zrem(this.deps.key('pods'), pod)
        .exec()
        .catch(() => undefined);
    }
  }

  /** A connection or room changed: refresh within 250 ms (coalesced). */
  schedule(): void {
    if (this.flush || this.deps.stopped()) return;
    this.flush = setTimeout(() => {
      this.flush = null;
      void this.write();
    }, 250);
    this.flush.unref();
  }

  /** Connections per room per pod, from every live pod's hash (for `/api/rooms`). */
  async byPod(): Promise<Map<string, Record<string, number>>> {
    const { redis, pod } = this.deps;
    const out = new Map<string, Record<string, number>>();
    const add = (p: string, counts: Record<string, string | number>) => {
      for (const [room, n] of Object.entries(counts)) {
        const v = Number(n);
        if (!Number.isFinite(v)) continue;
        const per = out.get(room) ?? {};
        per[p] = v;
        out.set(room, per);
      }
    };
    // Always include this pod's own live view (also while Redis is down).
    add(pod, this.localCounts());
    if (redis.status !== 'ready') return out;
    try {
      const pods = await redis.zrangebyscore(this.deps.key('pods'), Date.now() - this.deps.ttlMs, '+inf');
      const others = pods.filter((p) => p !== pod);
      if (others.length === 0) return out;
      const pipe = redis.pipeline();
      for (const p of others) pipe.hgetall(this.podKey(p));
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, value], i) => {
        if (err || typeof value !== 'object' || value === null) return;
        add(others[i] as string, value as Record<string, string>);
      });
    } catch (err) {
      this.deps.onError('presence', err);
    }
    return out;
  }

  /** This pod's connections per room, in a hash with a TTL; the pod set is a sorted set by heartbeat time. */
  async write(): Promise<void> {
    const { redis, pod, key, ttlMs } = this.deps;
    if (redis.status !== 'ready' || this.deps.stopped()) return;
    const counts = this.localCounts();
    const hash = this.podKey(pod);
    const now = Date.now();
    const tx = redis.multi().del(hash);
    if (Object.keys(counts).length > 0) tx.hset(hash, counts);
    tx.pexpire(hash, ttlMs)
      .zadd(key('pods'), now, pod)
      .zremrangebyscore(key('pods'), '-inf', now - 4 * ttlMs);
    try {
      await tx.exec();
    } catch (err) {
      this.deps.onError('presence', err);
    }
  }

  private podKey(pod: string): string {
    return this.deps.key(`pod:${pod}:rooms`);
  }

  private localCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.deps.host()?.list() ?? []) counts[r.id] = r.connections.size;
    return counts;
  }
}
