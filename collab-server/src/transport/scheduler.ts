/**
 * Fair processing of incoming frames: one connection or room cannot hold the event loop.
 *
 * - **Turn slice.** Frames are processed inline, as they arrive, until the frames and applies of
 *   the current event-loop turn have used `turnSliceMs`; later frames wait in their connection's
 *   queue and are drained round-robin over connections, one frame each, one slice per turn, with
 *   the loop's I/O (other rooms' frames, pongs, storage callbacks) in between.
 * - **CPU budgets.** Every frame's processing time (decode, validation on the shadow doc, sync
 *   replies) and the time its update then takes to apply to the room's doc are charged to a
 *   token bucket of the connection (`connCpuMsPerSec`, burst `connCpuBurstMs`) and one of the
 *   room (`roomCpuMsPerSec`, burst `roomCpuBurstMs`). While a bucket is empty the connection's
 *   (or room's) frames wait and its socket stops being read (TCP backpressure to the sender).
 *   A connection throttled for `connThrottleCloseMs` in total is closed with
 *   UPDATE_BUDGET_EXCEEDED (4429).
 *
 * Frames of one connection stay in order. With `enabled: false` nothing is deferred or charged.
 */
export interface SchedulerOptions {
  enabled: boolean;
  turnSliceMs: number;
  connCpuMsPerSec: number;
  connCpuBurstMs: number;
  connThrottleCloseMs: number;
  roomCpuMsPerSec: number;
  roomCpuBurstMs: number;
}

/** A token bucket of CPU milliseconds, refilled at `ratePerSec` up to `burst`. */
export class CpuBucket {
  private level: number;
  private at = performance.now();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number
  ) {
    this.level = burst;
  }

  private refill(now: number): void {
    this.level = Math.min(this.burst, this.level + ((now - this.at) * this.ratePerSec) / 1000);
    this.at = now;
  }

  charge(ms: number, now: number): void {
    this.refill(now);
    this.level -= ms;
  }

  private waiting = false;

  /** True when this call starts a period of waiting (for counting throttle episodes once). */
  startWaiting(): boolean {
    if (this.waiting) return false;
    this.waiting = true;
    return true;
  }

  /** Milliseconds until the bucket is non-negative again (0: may run now). */
  waitMs(now: number): number {
    this.refill(now);
    if (this.level >= 0) {
      this.waiting = false;
      return 0;
    }
    return (-this.level * 1000) / this.ratePerSec;
  }
}

/** What the scheduler needs from a connection. */
export interface Schedulable {
  /** The connection's bucket. */
  readonly cpu: CpuBucket;
  /** The bucket of the room it is attached to (null before it is attached). */
  roomCpu(): CpuBucket | null;
  /** Frames are waiting. */
  hasPending(): boolean;
  /** Processes the next waiting frame (and charges its cost through `charge`). */
  runOne(): void;
  /**
   * The connection's frames wait: `scope` names the budget that is empty. Called once per period
   * of waiting, and again on every drain while the connection's own throttled time (`totalMs`, all
   * periods together) is at or past `connThrottleCloseMs`.
   */
  throttled(scope: 'conn' | 'room', totalMs: number): void;
}

interface ThrottleState {
  since: number;
  total: number;
}

export class FrameScheduler {
  private turnUsed = 0;
  private turnResetQueued = false;
  /** Connections with waiting frames, in round-robin order. */
  private readonly ready = new Set<Schedulable>();
  private drainQueued = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private readonly rooms = new WeakMap<object, CpuBucket>();
  private readonly throttle = new WeakMap<Schedulable, ThrottleState>();

  constructor(readonly opts: SchedulerOptions) {}

  /** A new bucket for a connection. */
  connectionBucket(): CpuBucket {
    return new CpuBucket(this.opts.connCpuMsPerSec, this.opts.connCpuBurstMs);
  }

  /** The bucket of a room (one per room object). */
  roomBucket(room: object): CpuBucket {
    let b = this.rooms.get(room);
    if (!b) {
      b = new CpuBucket(this.opts.roomCpuMsPerSec, this.opts.roomCpuBurstMs);
      this.rooms.set(room, b);
    }
    return b;
  }

  /**
   * May `c` process a frame right now, inline? (The turn and its budgets allow it. Connections
   * waiting in the queue do not hold others back: their frames are drained in the same turn's
   * own slice, so a connection with nothing waiting is not queued behind an attacker.)
   */
  mayRunNow(c: Schedulable): boolean {
    if (!this.opts.enabled) return true;
    if (this.turnUsed >= this.opts.turnSliceMs) return false;
    const now = performance.now();
    return c.cpu.waitMs(now) === 0 && (c.roomCpu()?.waitMs(now) ?? 0) === 0;
  }

  /** Charges `ms` of processing to the current turn and to the connection's and room's budgets. */
  charge(c: Schedulable, ms: number): void {
    if (!this.opts.enabled) return;
    const now = performance.now();
    this.turnUsed += ms;
    if (!this.turnResetQueued) {
      this.turnResetQueued = true;
      setImmediate(this.resetTurn);
    }
    c.cpu.charge(ms, now);
    c.roomCpu()?.charge(ms, now);
  }

  /** `c` has frames waiting: it gets its turn in the next drain. */
  enqueue(c: Schedulable): void {
    this.ready.add(c);
    this.scheduleDrain(0);
  }

  /** Forgets a closed connection. */
  remove(c: Schedulable): void {
    this.ready.delete(c);
  }

  private readonly resetTurn = (): void => {
    this.turnResetQueued = false;
    this.turnUsed = 0;
  };

  private scheduleDrain(delayMs: number): void {
    if (delayMs <= 0) {
      if (this.drainQueued) return;
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      this.drainQueued = true;
      setImmediate(this.drain);
      return;
    }
    if (this.drainQueued || this.wakeTimer) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.scheduleDrain(0);
      },
      Math.min(Math.ceil(delayMs), 1000)
    );
  }

  private readonly drain = (): void => {
    this.drainQueued = false;
    this.turnUsed = 0;
    let soonest = Infinity;
    let progressed = true;
    while (this.ready.size > 0 && this.turnUsed < this.opts.turnSliceMs && progressed) {
      progressed = false;
      for (const c of [...this.ready]) {
        if (this.turnUsed >= this.opts.turnSliceMs) break;
        if (!c.hasPending()) {
          this.ready.delete(c);
          continue;
        }
        const now = performance.now();
        const own = c.cpu.waitMs(now);
        const wait = Math.max(own, c.roomCpu()?.waitMs(now) ?? 0);
        if (wait > 0) {
          if (own > 0) this.noteThrottled(c, now);
          else if (c.roomCpu()?.startWaiting()) c.throttled('room', 0);
          soonest = Math.min(soonest, wait);
          continue;
        }
        this.noteRunning(c, now);
        // Round robin: to the back of the line after one frame.
        this.ready.delete(c);
        c.runOne();
        if (c.hasPending()) this.ready.add(c);
        progressed = true;
      }
    }
    // The loop's I/O phase that follows gets its own slice for frames that arrive inline.
    this.turnUsed = 0;
    if (this.ready.size === 0) return;
    // Work left that may run: next turn, after the loop's I/O. Only throttled work: when a budget refills.
    this.scheduleDrain(progressed || this.turnUsed >= this.opts.turnSliceMs ? 0 : soonest);
  };

  private noteThrottled(c: Schedulable, now: number): void {
    let t = this.throttle.get(c);
    if (!t) {
      t = { since: now, total: 0 };
      this.throttle.set(c, t);
    } else if (t.since < 0) {
      t.since = now;
    }
    const total = t.total + (now - t.since);
    if (c.cpu.startWaiting() || total >= this.opts.connThrottleCloseMs) c.throttled('conn', total);
  }

  private noteRunning(c: Schedulable, now: number): void {
    const t = this.throttle.get(c);
    if (!t || t.since < 0) return;
    t.total += now - t.since;
    t.since = -1;
  }
}
