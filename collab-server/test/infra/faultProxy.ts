/**
 * A TCP fault proxy for tests (this kernel has no `netem`): listens on 127.0.0.1 (free port) and forwards
 * every connection to a target port, with faults that can be changed at any time:
 *
 *   const p = await FaultProxy.start(targetPort, { name: 'pod1-redis', random: rng });
 *   p.set({ latencyMs: 50, jitterMs: 30 }); // each chunk delayed 50..80 ms, per direction, order kept
 *   p.stall(800);                           // nothing flows for 800 ms (existing and new connections)
 *   p.reset();                              // every open connection dropped with a TCP RST
 *   p.retarget(newPort);                    // new connections go there (a restarted server)
 *   p.heal();                               // no latency, no stall
 *   await p.close();
 *
 * Delays keep byte order within each direction of a connection (a chunk never overtakes the previous
 * one). Memory is bounded by what the peers send while delayed: tests run short and bounded. Randomness
 * comes from the caller's seeded generator, so a failing run can be replayed with its seed.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface Faults {
  /** Added one-way delay per chunk, ms. */
  latencyMs: number;
  /** Extra random delay per chunk, 0..jitterMs ms. */
  jitterMs: number;
}

export interface FaultProxyOptions {
  /** For logs. */
  name: string;
  /** Uniform [0, 1) generator (seeded by the test). */
  random: () => number;
}

interface Link {
  client: Socket;
  upstream: Socket;
}

export class FaultProxy {
  private faults: Faults = { latencyMs: 0, jitterMs: 0 };
  private stalledUntil = 0;
  private readonly links = new Set<Link>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Connections accepted / reset by `reset()`, for the test's report. */
  readonly stats = { connections: 0, resets: 0, stalls: 0 };

  private constructor(
    private readonly server: net.Server,
    private target: number,
    private readonly opts: FaultProxyOptions
  ) {}

  static async start(targetPort: number, opts: FaultProxyOptions): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, targetPort, opts);
    server.on('connection', (sock) => proxy.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get name(): string {
    return this.opts.name;
  }

  set(f: Partial<Faults>): void {
    this.faults = { ...this.faults, ...f };
  }

  /** Nothing flows for `ms` (data is held, then delivered in order). */
  stall(ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, Date.now() + ms);
    this.stats.stalls += 1;
  }

  /** Drops every open connection with a TCP RST (both sides see ECONNRESET). */
  reset(): void {
    for (const l of this.links) this.drop(l, true);
    this.stats.resets += 1;
  }

  retarget(port: number): void {
    this.target = port;
  }

  heal(): void {
    this.faults = { latencyMs: 0, jitterMs: 0 };
    this.stalledUntil = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const l of this.links) this.drop(l, false);
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket): void {
    this.stats.connections += 1;
    const upstream = net.connect(this.target, '127.0.0.1');
    const link: Link = { client, upstream };
    this.links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.pipe(link, client, upstream);
    this.pipe(link, upstream, client);
    for (const s of [client, upstream]) {
      s.on('error', () => this.drop(link, false));
      s.on('close', () => this.drop(link, false));
    }
  }

  /** Forwards `from` → `to` with the current faults, keeping order. */
  private pipe(link: Link, from: Socket, to: Socket): void {
    let lastDue = 0;
    let ended = false;
    let pending = 0;
    const deliver = (fn: () => void, due: number): void => {
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          pending -= 1;
          fn();
        },
        Math.max(0, due - Date.now())
      );
      this.timers.add(t);
      pending += 1;
    };
    const dueNow = (): number => {
      const { latencyMs, jitterMs } = this.faults;
      const due = Math.max(this.stalledUntil, Date.now() + latencyMs + this.opts.random() * jitterMs);
      lastDue = Math.max(lastDue, due);
      return lastDue;
    };
    from.on('data', (chunk: Buffer) => {
      const due = dueNow();
      if (due <= Date.now() && pending === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      deliver(() => {
        if (!to.destroyed) to.write(chunk);
      }, due);
    });
    from.on('end', () => {
      if (ended) return;
      ended = true;
      deliver(() => {
        if (!to.destroyed) to.end();
      }, dueNow());
    });
    void link;
  }

  private drop(link: Link, rst: boolean): void {
    if (!this.links.delete(link)) return;
    for (const s of [link.client, link.upstream]) {
      if (s.destroyed) continue;
      if (rst) s.resetAndDestroy();
      else s.destroy();
    }
  }
}

/** mulberry32: a small seeded PRNG (uniform [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
