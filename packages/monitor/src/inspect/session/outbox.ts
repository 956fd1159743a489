/**
 * Per-session outgoing queue with backpressure. A slow inspector never slows
 * collaboration: producers only append pre-serialised strings (never block,
 * never await); the queue is bounded in messages and bytes; while the socket's
 * `bufferedAmount` is above the high-water mark nothing more is written.
 *
 * Overflow is handled per subscription: its queued messages are discarded and
 * counted, the subscription is marked "needs resync" and receives nothing more
 * until the socket has drained; then the owner is asked to resync it (a
 * `resync` message with the drop count, followed by a fresh snapshot for
 * state streams).
 */

export interface OutboxSocket {
  readonly bufferedAmount: number;
  /** Sends a text frame; `cb` runs when written (or failed). */
  send(data: string, cb: (err?: Error) => void): void;
}

export interface OutboxOptions {
  /** Stop writing while the socket buffers more than this (bytes). */
  highWaterBytes: number;
  /** Queue bounds. */
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  /** Called when a subscription's data was dropped; `dropped` is the count since the last resync. */
  onResync(sub: string, dropped: number): void;
  /** Called for every dropped message (metrics). */
  onDrop(sub: string | undefined, count: number): void;
  /**
   * A control message (reply, error) could not be queued: the queue is over its bound with
   * control messages alone (every subscription already stalled) — the client does not read.
   * A reply is never dropped silently: the owner closes the session (SLOW_CONSUMER).
   */
  onOverflow?(): void;
  /** Poll interval while blocked on bufferedAmount (ws has no drain event for it). */
  pollMs?: number;
}

interface Queued {
  sub: string | undefined;
  data: string;
  /** Replies only: the request id, when the reply carries content-scope data. */
  contentReply?: string | undefined;
}

export const DEFAULT_OUTBOX: Omit<OutboxOptions, 'onResync' | 'onDrop'> = {
  highWaterBytes: 1 << 20,
  maxQueuedMessages: 2_000,
  maxQueuedBytes: 8 << 20,
};

export class Outbox {
  private queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Subscriptions that overflowed → messages dropped since. */
  private readonly stalled = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private inFlight = 0;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly opts: OutboxOptions
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  /** True when the subscription is stalled (its messages are being dropped until the socket drains). */
  isStalled(sub: string): boolean {
    return this.stalled.has(sub);
  }

  /**
   * Enqueues one serialised message. Returns false when it was dropped.
   * `contentReply`: for a reply carrying content-scope data, its request id (see `withdrawContent`).
   */
  push(data: string, sub?: string, contentReply?: string): boolean {
    if (this.closed) return false;
    if (sub !== undefined && this.stalled.has(sub)) {
      this.stalled.set(sub, (this.stalled.get(sub) ?? 0) + 1);
      this.opts.onDrop(sub, 1);
      return false;
    }
    if (this.length === 0 && this.canWrite()) {
      this.write(data);
      return true;
    }
    if (this.full(data)) {
      if (sub === undefined) {
        // Control messages (acks, errors, replies): make room by stalling subscriptions,
        // oldest queued first, until this one fits.
        while (this.full(data)) {
          const victim = this.queue.slice(this.head).find((q) => q.sub !== undefined)?.sub;
          if (victim === undefined) break;
          this.stall(victim, 0);
        }
        // Replies left alone already at the bound: the client is not reading. (Below it, one
        // big reply is admitted even past the byte bound; bulk replies wait for room first.)
        if (this.length >= this.opts.maxQueuedMessages || this.queuedBytes >= this.opts.maxQueuedBytes) {
          // Never drop a reply silently — the owner closes the session.
          this.opts.onDrop(undefined, 1);
          this.opts.onOverflow?.();
          return false;
        }
      } else {
        this.stall(sub, 1);
        this.opts.onDrop(sub, 1);
        this.arm();
        return false;
      }
    }
    this.queue.push(contentReply !== undefined ? { sub, data, contentReply } : { sub, data });
    this.queuedBytes += data.length;
    this.arm();
    return true;
  }

  /**
   * The session's scope was lowered: nothing serialised for the old scope may go out.
   * Every queued subscription message is discarded and its subscription stalled (it gets
   * `onResync` — a resync and a fresh snapshot — once the socket drains), as are `subs`
   * even with nothing queued (`held`: messages they dropped elsewhere). Queued content
   * replies are removed; their request ids are returned (the owner answers them).
   */
  withdrawContent(subs: Iterable<string>, held: (sub: string) => number): string[] {
    for (const sub of subs) this.stall(sub, held(sub));
    const ids: string[] = [];
    const kept: Queued[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i] as Queued;
      if (q.contentReply !== undefined) {
        if (!ids.includes(q.contentReply)) ids.push(q.contentReply);
      } else kept.push(q);
    }
    this.queue = kept;
    this.head = 0;
    this.queuedBytes = kept.reduce((n, q) => n + q.data.length, 0);
    this.arm();
    return ids;
  }

  private full(data: string): boolean {
    return (
      this.length >= this.opts.maxQueuedMessages || this.queuedBytes + data.length > this.opts.maxQueuedBytes
    );
  }

  /** Room for a bulk producer (snapshot chunks): queue mostly empty and the socket below high water. */
  hasRoom(): boolean {
    return (
      this.length < this.opts.maxQueuedMessages / 4 &&
      this.queuedBytes < this.opts.maxQueuedBytes / 4 &&
      this.canWrite()
    );
  }

  /** Resolves when `hasRoom()` (polling; ws has no event for bufferedAmount), or false once closed. */
  async waitForRoom(): Promise<boolean> {
    while (!this.closed && !this.hasRoom()) {
      await new Promise<void>((r) => setTimeout(r, this.opts.pollMs ?? 20));
    }
    return !this.closed;
  }

  /** Drops everything queued for a subscription (unsubscribe) without counting it as a miss. */
  forget(sub: string): void {
    this.stalled.delete(sub);
    const kept = this.queue.slice(this.head).filter((q) => q.sub !== sub);
    this.queue = kept;
    this.head = 0;
    this.queuedBytes = kept.reduce((n, q) => n + q.data.length, 0);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.stalled.clear();
  }

  private stall(sub: string, extra: number): void {
    let dropped = extra;
    const kept: Queued[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i] as Queued;
      if (q.sub === sub) dropped++;
      else kept.push(q);
    }
    if (dropped > extra) this.opts.onDrop(sub, dropped - extra);
    this.queue = kept;
    this.head = 0;
    this.queuedBytes = kept.reduce((n, q) => n + q.data.length, 0);
    this.stalled.set(sub, (this.stalled.get(sub) ?? 0) + dropped);
  }

  private canWrite(): boolean {
    return this.socket.bufferedAmount < this.opts.highWaterBytes;
  }

  private write(data: string): void {
    this.inFlight++;
    this.socket.send(data, () => {
      this.inFlight--;
      if (!this.closed && (this.length > 0 || this.stalled.size > 0)) this.drain();
    });
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain();
    }, this.opts.pollMs ?? 20);
    this.timer.unref?.();
  }

  /** Writes queued messages while the socket accepts them; then resyncs stalled subscriptions. */
  drain(): void {
    if (this.closed) return;
    while (this.length > 0 && this.canWrite()) {
      const q = this.queue[this.head++] as Queued;
      this.queuedBytes -= q.data.length;
      this.write(q.data);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (
      this.length === 0 &&
      this.stalled.size > 0 &&
      this.socket.bufferedAmount < this.opts.highWaterBytes / 2
    ) {
      const stalled = [...this.stalled];
      this.stalled.clear();
      for (const [sub, dropped] of stalled) this.opts.onResync(sub, dropped);
    }
    if (this.length > 0 || this.stalled.size > 0) this.arm();
  }
}
