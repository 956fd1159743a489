/**
 * A counting semaphore with a bounded waiting line, for the pod-wide cap on
 * expensive inspect work (rebuilding a document from storage: synchronous
 * `Y.applyUpdate` of a snapshot and its log, then a tree walk). Work beyond
 * the permits waits in FIFO order; past `maxWaiting` it is refused at once
 * (`GateFullError`), so a burst of requests cannot pile up unbounded memory
 * or CPU behind the ones running.
 */

export class GateFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateFullError';
  }
}

export class WorkGate {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  /** Most permits held at once so far (tests, diagnostics). */
  peak = 0;

  constructor(
    readonly permits: number,
    readonly maxWaiting: number,
    private readonly what = 'work'
  ) {
    if (!(permits >= 1)) throw new Error('WorkGate needs at least one permit');
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Runs `fn` holding one permit (waits for it first). Throws GateFullError when the line is full. */
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.permits) {
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxWaiting) {
      return Promise.reject(
        new GateFullError(
          `the pod is busy with ${this.active} ${this.what} and ${this.waiters.length} waiting; retry shortly`
        )
      );
    }
    // release() hands its permit over: `active` stays the same.
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}
