/**
 * The group-commit path shared by every backend: appends queue up, one flush
 * at a time writes them in batches (one transaction per batch), and each
 * caller is settled — resolved with its seqs, in call order, only once its
 * batch is durable, or rejected. The backend supplies only the write of one
 * batch (`commit`, its SQL) and what a failed batch becomes:
 *
 *  - `split` (SQLite: a failure is about the rows, e.g. a constraint): each
 *    append of the batch is committed alone, so one failing append cannot fail
 *    the others; an append that still fails is rejected, nothing of it written.
 *  - `hold` (PostgreSQL: a failure is about the database being away): the batch
 *    goes back to the head of the queue, unacknowledged, and is retried with
 *    exponential backoff until it commits or the queue is stopped.
 *
 * Flush trigger: the first append of an event-loop turn schedules a flush with
 * `setImmediate`, so every append of that turn joins one batch; appends made
 * while a flush runs join the next batch of the same flush.
 */
import { toError } from '@collabblocks/protocol';
import type { NewUpdate } from './types.js';

export interface QueuedAppend {
  room: string;
  updates: NewUpdate[];
  /** Bytes of the updates. */
  bytes: number;
  resolve(seqs: number[]): void;
  reject(err: Error): void;
}

export interface GroupCommitOptions {
  /** Writes one batch in one transaction; returns each append's seqs, in batch order. Throws when nothing was written. */
  commit(batch: QueuedAppend[]): Promise<number[][]> | number[][];
  /** What a failed batch becomes (see the module comment). */
  onFailure: 'split' | 'hold';
  /** Most updates in one batch (an append is never split). Default: no bound. */
  maxBatchOps?: number;
  /** `hold` backoff between retries, ms. Default 50 → 2000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A batch became durable (after its callers were resolved). */
  onCommitted?(batch: QueuedAppend[], durationMs: number): void;
  /** A batch failed (before it is split or held). */
  onError?(err: unknown): void;
}

export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private bytes = 0;
  private ops = 0;
  private flushing = false;
  private scheduled = false;
  private stopped = false;
  private stopError: () => Error = () => new Error('storage is closed');
  private retryTimer: NodeJS.Timeout | null = null;
  private retryWake: (() => void) | null = null;
  private drained: Array<() => void> = [];
  private lastOk = true;
  private readonly maxBatchOps: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly opts: GroupCommitOptions) {
    this.maxBatchOps = opts.maxBatchOps ?? Number.POSITIVE_INFINITY;
    this.retryMinMs = opts.retryMinMs ?? 50;
    this.retryMaxMs = opts.retryMaxMs ?? 2000;
  }

  /** Bytes and updates queued or being written, not yet durable. */
  get pending(): { bytes: number; ops: number } {
    return { bytes: this.bytes, ops: this.ops };
  }

  /** False while a held batch is being retried (the last commit failed). */
  get writable(): boolean {
    return this.lastOk;
  }

  /** Queues an append (already validated); resolves with its seqs once durable. */
  enqueue(room: string, updates: NewUpdate[], bytes: number): Promise<number[]> {
    if (updates.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ room, updates, bytes, resolve, reject });
      this.bytes += bytes;
      this.ops += updates.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.retryTimer || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private takeBatch(): QueuedAppend[] {
    const batch: QueuedAppend[] = [];
    let ops = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as QueuedAppend;
      if (batch.length > 0 && ops + next.updates.length > this.maxBatchOps) break;
      batch.push(next);
      ops += next.updates.length;
      this.queue.shift();
    }
    return batch;
  }

  private settled(p: QueuedAppend): void {
    this.bytes -= p.bytes;
    this.ops -= p.updates.length;
  }

  /** Writes everything queued (the flush loop). Resolves when the queue is empty or the queue is stopped. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    let delay = this.retryMinMs;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const batch = this.takeBatch();
        const started = performance.now();
        let seqs: number[][];
        try {
          seqs = await this.opts.commit(batch);
        } catch (err) {
          this.opts.onError?.(err);
          if (this.opts.onFailure === 'split') {
            await this.commitEach(batch);
            continue;
          }
          this.lastOk = false;
          if (this.stopped) {
            // Failed while the queue was being stopped: nothing of it is durable.
            for (const p of batch) {
              this.settled(p);
              p.reject(this.stopError());
            }
            continue;
          }
          // Held, not acknowledged: back to the head of the queue, retried after a backoff.
          this.queue.unshift(...batch);
          await new Promise<void>((wake) => {
            this.retryWake = wake;
            this.retryTimer = setTimeout(() => {
              this.retryTimer = null;
              this.retryWake = null;
              wake();
            }, delay);
          });
          delay = Math.min(this.retryMaxMs, delay * 2);
          continue;
        }
        this.lastOk = true;
        delay = this.retryMinMs;
        batch.forEach((p, i) => {
          this.settled(p);
          p.resolve(seqs[i] as number[]);
        });
        this.opts.onCommitted?.(batch, performance.now() - started);
      }
    } finally {
      this.flushing = false;
      this.retryWake = null;
      if (this.queue.length === 0) {
        const waiters = this.drained;
        this.drained = [];
        for (const w of waiters) w();
      } else if (!this.stopped) {
        this.schedule();
      }
    }
  }

  /** `split`: each append of a failed batch alone; an append that still fails is rejected. */
  private async commitEach(batch: QueuedAppend[]): Promise<void> {
    for (const p of batch) {
      const started = performance.now();
      try {
        const [seqs] = await this.opts.commit([p]);
        this.settled(p);
        p.resolve(seqs as number[]);
        this.opts.onCommitted?.([p], performance.now() - started);
      } catch (err) {
        this.settled(p);
        p.reject(toError(err));
      }
    }
  }

  /** Resolves once the queue is empty (true), or after `timeoutMs` (false). */
  async whenDrained(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0 && !this.flushing) return true;
    const drained = new Promise<true>((r) => this.drained.push(() => r(true)));
    if (!this.flushing) this.schedule();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([drained, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the queue: no more flushes or retries; every append not yet durable is rejected with
   * `err()`. Returns how many were rejected.
   */
  stop(err: () => Error): number {
    this.stopped = true;
    this.stopError = err;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.retryWake?.();
      this.retryWake = null;
    }
    const left = this.queue;
    this.queue = [];
    for (const p of left) {
      this.settled(p);
      p.reject(err());
    }
    return left.length;
  }
}
