/**
 * Presence motion and status. Each room has a few hotspots (fixed per room
 * name, so a density heatmap shows them); a bot's cursor glides towards a
 * jittered point near its current hotspot and now and then moves on to
 * another. Coordinates stay in [0, 1]. Status goes editing → idle when the
 * bot stops typing, sometimes idle → away for a while, and back.
 */
import { createRng, type Rng } from './random.js';

export type PresenceStatus = 'editing' | 'idle' | 'away';

export interface Point {
  x: number;
  y: number;
}

export interface PresenceState {
  user: { name: string; color: string };
  cursor: Point;
  status: PresenceStatus;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** 2-4 hotspots per room, deterministic in the room id. */
export function roomHotspots(roomId: string): Point[] {
  const rng = createRng(`hotspots:${roomId}`);
  const n = 2 + rng.int(3);
  return Array.from({ length: n }, () => ({ x: 0.1 + rng.next() * 0.8, y: 0.1 + rng.next() * 0.8 }));
}

export class CursorMotion {
  private readonly hotspots: Point[];
  private hotspot: number;
  private target: Point;
  private pos: Point;

  constructor(
    roomId: string,
    private readonly rng: Rng,
    /** Spread around a hotspot (standard deviation). */
    private readonly spread = 0.05
  ) {
    this.hotspots = roomHotspots(roomId);
    this.hotspot = rng.int(this.hotspots.length);
    this.target = this.pickTarget();
    this.pos = { ...this.target };
  }

  get position(): Point {
    return { x: this.pos.x, y: this.pos.y };
  }

  /** Advances by `dtMs`; returns the new position (always in [0, 1]). */
  step(dtMs: number): Point {
    const dt = Math.max(0, Math.min(dtMs, 5000)) / 1000;
    // Exponential approach: ~63 % of the way in 0.8 s; smooth, no jumps.
    const k = 1 - Math.exp(-dt / 0.8);
    this.pos = {
      x: clamp01(this.pos.x + (this.target.x - this.pos.x) * k),
      y: clamp01(this.pos.y + (this.target.y - this.pos.y) * k),
    };
    const dist = Math.hypot(this.target.x - this.pos.x, this.target.y - this.pos.y);
    if (dist < 0.01 || this.rng.chance(0.05 * dt)) {
      if (this.rng.chance(0.1)) this.hotspot = this.rng.int(this.hotspots.length);
      this.target = this.pickTarget();
    }
    return this.position;
  }

  private pickTarget(): Point {
    const h = this.hotspots[this.hotspot] ?? { x: 0.5, y: 0.5 };
    return {
      x: clamp01(h.x + this.rng.normal() * this.spread),
      y: clamp01(h.y + this.rng.normal() * this.spread),
    };
  }
}

export interface StatusTimings {
  /** Without an edit for this long, editing → idle. */
  idleAfterMs: number;
  /** Per second while idle, chance to go away. */
  awayChancePerSec: number;
  /** Mean time away. */
  awayMeanMs: number;
}

export const DEFAULT_STATUS_TIMINGS: StatusTimings = {
  idleAfterMs: 6000,
  awayChancePerSec: 0.01,
  awayMeanMs: 20_000,
};

export class StatusModel {
  private status: PresenceStatus = 'idle';
  private lastEdit = 0;
  private awayUntil = 0;

  constructor(
    private readonly rng: Rng,
    private readonly timings: StatusTimings = DEFAULT_STATUS_TIMINGS
  ) {}

  get current(): PresenceStatus {
    return this.status;
  }

  get canEdit(): boolean {
    return this.status !== 'away';
  }

  noteEdit(now: number): void {
    this.lastEdit = now;
    this.status = 'editing';
  }

  /** Advances the state machine; returns true when the status changed. */
  step(now: number, dtMs: number): boolean {
    const before = this.status;
    if (this.status === 'away') {
      if (now >= this.awayUntil) this.status = 'idle';
    } else if (this.status === 'editing') {
      if (now - this.lastEdit > this.timings.idleAfterMs) this.status = 'idle';
    } else if (this.rng.chance(this.timings.awayChancePerSec * (dtMs / 1000))) {
      this.status = 'away';
      this.awayUntil = now + this.rng.exp(this.timings.awayMeanMs);
    }
    return before !== this.status;
  }
}
