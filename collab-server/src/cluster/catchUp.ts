/**
 * Cross-pod updates, the log side: which seqs of each loaded room this pod has applied (`SeqTracker`),
 * and the catch-up from `storage.readAfter` that fills what pub/sub did not deliver. A seq gap that does
 * not fill within `gapGraceMs`, a Redis reconnect, a `head` message, a remote update that could not be
 * applied or the periodic sweep triggers it: a missed pub/sub message never loses an edit.
 */
import { errorMessage } from '@collabblocks/protocol';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import { nowMs, type ClusterMessage } from './codec.js';
import type { ClusterHost, ClusterRoom } from './host.js';
import type { ClusterMetrics } from './metrics.js';
import { SeqTracker } from './seqTracker.js';

/** Origin of Yjs updates applied from another pod or from catch-up. */
export const CLUSTER_UPDATE_ORIGIN = Symbol('cluster-update');

/** One loaded room's applied seqs and catch-up state. */
export interface RoomLog {
  tracker: SeqTracker | null;
  /** Local updates seen before the tracker's baseline was known. */
  early: number[];
  gapTimer: NodeJS.Timeout | null;
  catchingUp: Promise<void> | null;
  catchUpAgain: boolean;
}

export function newRoomLog(): RoomLog {
  return { tracker: null, early: [], gapTimer: null, catchingUp: null, catchUpAgain: false };
}

export interface CatchUpDeps {
  storage: Storage;
  log: Logger;
  metrics: ClusterMetrics;
  /** Wait this long for a missing seq to arrive before reading it from storage. */
  gapGraceMs: number;
  /** Updates read per catch-up query. */
  catchUpBatch: number;
  host(): ClusterHost | null;
  /** The log of a room loaded now (a room unloaded and loaded again has a new one). */
  current(room: string): RoomLog | undefined;
  /** Every room loaded now. */
  rooms(): Iterable<string>;
  stopped(): boolean;
}

export class CatchUp {
  private readonly lastErrorLog = new Map<string, number>();

  constructor(private readonly deps: CatchUpDeps) {}

  /** The room's applied seqs start at `baseline` (the storage head it loaded). */
  initTracker(room: string, st: RoomLog, baseline: number): void {
    st.tracker = new SeqTracker(baseline);
    for (const s of st.early) st.tracker.add(s);
    st.early = [];
    if (st.tracker.hasHoles) this.scheduleGapCheck(room, st);
  }

  /** A local update became durable with `seq`. */
  local(room: string, st: RoomLog, seq: number): void {
    if (st.tracker) {
      st.tracker.add(seq);
      if (st.tracker.hasHoles) this.scheduleGapCheck(room, st);
    } else {
      st.early.push(seq);
    }
  }

  /** Another pod published an update it made durable. */
  applyRemote(room: string, st: RoomLog, target: ClusterRoom, msg: ClusterMessage): void {
    const { metrics } = this.deps;
    if (!st.tracker) {
      // Baseline not known yet (room just loaded): apply (idempotent) and let catch-up settle seqs.
      target.applyRemoteUpdate(msg.payload, CLUSTER_UPDATE_ORIGIN);
      st.early.push(msg.seq);
      return;
    }
    if (st.tracker.has(msg.seq)) return;
    if (!target.applyRemoteUpdate(msg.payload, CLUSTER_UPDATE_ORIGIN)) {
      this.deps.log.warn(
        { room, seq: msg.seq },
        'remote update could not be applied; catching up from storage'
      );
      this.catchUp(room);
      return;
    }
    st.tracker.add(msg.seq);
    metrics.lag.observe(Math.max(0, nowMs() - msg.publishedAt));
    metrics.messages.inc({ type: 'update', direction: 'in' });
    if (st.tracker.hasHoles) this.scheduleGapCheck(room, st);
  }

  /** Another pod says how far the room has gone (after it could not publish for a while). */
  head(room: string, st: RoomLog, seq: number): void {
    if (st.tracker && seq > st.tracker.watermark) this.catchUp(room);
  }

  /** The room is unloaded: its gap check stops. */
  remove(st: RoomLog): void {
    if (st.gapTimer) clearTimeout(st.gapTimer);
  }

  private scheduleGapCheck(room: string, st: RoomLog): void {
    if (st.gapTimer) return;
    st.gapTimer = setTimeout(() => {
      st.gapTimer = null;
      if (this.deps.current(room) === st && st.tracker?.hasHoles) this.catchUp(room);
    }, this.deps.gapGraceMs);
    st.gapTimer.unref();
  }

  /** Periodic safety net: one query for every loaded room's head, catch-up only where behind. */
  async sweep(): Promise<void> {
    const { storage } = this.deps;
    if (!storage.heads) {
      this.catchUpAll();
      return;
    }
    const rooms = [...this.deps.rooms()];
    let heads: Map<string, number>;
    try {
      heads = await storage.heads(rooms);
    } catch (err) {
      if (this.mayLog('sweep')) {
        this.deps.log.warn({ err: errorMessage(err) }, 'sweep: reading room heads failed; will retry');
      }
      return;
    }
    for (const room of rooms) {
      const tracker = this.deps.current(room)?.tracker;
      if (tracker && (heads.get(room) ?? 0) > tracker.watermark) this.catchUp(room);
    }
  }

  catchUpAll(): void {
    for (const room of this.deps.rooms()) this.catchUp(room);
  }

  /** Reads the log after the watermark and applies what this pod has not applied. One run per room at a time. */
  catchUp(room: string): void {
    const st = this.deps.current(room);
    if (!st || this.deps.stopped()) return;
    if (st.catchingUp) {
      st.catchUpAgain = true;
      return;
    }
    st.catchingUp = this.run(room, st)
      .catch((err: unknown) => {
        // Storage down: every room's sweep fails; log once per 5 s, not per room.
        if (!this.mayLog('catch-up')) return;
        this.deps.log.warn({ room, err: errorMessage(err) }, 'catch-up from storage failed; will retry');
      })
      .finally(() => {
        st.catchingUp = null;
        if (st.catchUpAgain && this.deps.current(room) === st) {
          st.catchUpAgain = false;
          this.catchUp(room);
        }
      });
  }

  /** At most one warning of each kind every 5 s. */
  private mayLog(kind: string): boolean {
    const now = Date.now();
    if (now - (this.lastErrorLog.get(kind) ?? 0) < 5000) return false;
    this.lastErrorLog.set(kind, now);
    return true;
  }

  private async run(room: string, st: RoomLog): Promise<void> {
    const { storage, catchUpBatch, log, metrics } = this.deps;
    let fromSnapshot = false;
    for (;;) {
      const tracker = st.tracker;
      if (!tracker) return;
      const batch = await storage.readAfter(room, tracker.watermark, catchUpBatch);
      const target = this.deps.host()?.get(room);
      if (!target || this.deps.current(room) !== st) return;
      const first = batch[0];
      const pruned = (first && first.seq > tracker.watermark + 1) || (!first && tracker.hasHoles);
      if (pruned && !fromSnapshot) {
        fromSnapshot = true;
        // The log is gap-free, so missing seqs were pruned: they are in the latest snapshot.
        await this.fromSnapshot(room, st, tracker);
        if (tracker.hasHoles && this.deps.current(room) === st) {
          log.warn({ room, watermark: tracker.watermark }, 'seqs missing from storage; skipping them');
          tracker.advanceTo(tracker.highest);
        }
        continue;
      }
      let applied = 0;
      for (const u of batch) {
        if (tracker.has(u.seq)) continue;
        target.applyRemoteUpdate(u.update, CLUSTER_UPDATE_ORIGIN);
        tracker.add(u.seq);
        applied += 1;
      }
      if (applied > 0) {
        metrics.catchUpUpdates.inc(applied);
        log.debug({ room, applied, watermark: tracker.watermark }, 'caught up from storage');
      }
      if (batch.length < catchUpBatch) return;
    }
  }

  private async fromSnapshot(room: string, st: RoomLog, tracker: SeqTracker): Promise<void> {
    const loaded = await this.deps.storage.load(room);
    const target = this.deps.host()?.get(room);
    if (!target || this.deps.current(room) !== st) return;
    if (loaded.snapshot) {
      target.applyRemoteUpdate(loaded.snapshot.state, CLUSTER_UPDATE_ORIGIN);
      tracker.advanceTo(loaded.snapshot.seq);
    }
    for (const u of loaded.updates) {
      if (tracker.has(u.seq)) continue;
      target.applyRemoteUpdate(u.update, CLUSTER_UPDATE_ORIGIN);
      tracker.add(u.seq);
    }
  }
}
