/**
 * A room's compaction: snapshots of the doc covering the durable log up to a seq, written when enough
 * updates piled up (`compactOps`, checked after every applied update), on a timer (`compactIntervalMs`)
 * and when the room unloads. One run at a time per room; across pods the cluster grants one owner.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import * as Y from 'yjs';
import type { HookBus } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import { tracer } from '../observability/tracer.js';
import type { Storage } from '../storage/types.js';
import type { RoomProgress } from './types.js';

/** What compaction needs from its room. */
export interface CompactionHost {
  readonly id: string;
  readonly org: string;
  readonly doc: Y.Doc;
  /** The durable log as applied to the doc (advanced by the write path). */
  readonly progress: RoomProgress;
  readonly storage: Storage;
  readonly hooks: HookBus;
  readonly logger: Logger;
  readonly compactIntervalMs: number;
}

export class RoomCompaction {
  /** Seq and size of the newest snapshot (loaded or written). */
  private snapshotSeq = 0;
  private bytes = 0;
  private compacting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly host: CompactionHost) {}

  /** The snapshot the room was loaded from. */
  loaded(seq: number, bytes: number): void {
    this.snapshotSeq = seq;
    this.bytes = bytes;
  }

  /** Size of the newest snapshot, bytes. */
  get snapshotBytes(): number {
    return this.bytes;
  }

  /** Starts the periodic compaction (once the room is loaded). */
  start(): void {
    this.timer = setInterval(() => {
      if (this.host.progress.opsSinceSnapshot > 0) void this.compact();
    }, this.host.compactIntervalMs);
    this.timer.unref();
  }

  /** Stops the periodic compaction (the room is closing). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Resolves once the run under way, if any, has ended. */
  async settled(): Promise<void> {
    if (this.compacting) await this.compacting;
  }

  /**
   * Writes a snapshot covering every applied update. The state and its seq
   * are captured synchronously together, so the snapshot is exactly "log up
   * to seq" (plus any remote updates, which are idempotent to re-apply).
   * The log is not deleted (history); retention prunes it later.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const { host } = this;
    const progress = host.progress;
    if (progress.opsSinceSnapshot === 0 || progress.lastSeq <= this.snapshotSeq) return Promise.resolve();
    const run = tracer.startActiveSpan(
      'compaction',
      { attributes: { org: host.org, 'room.id': host.id } },
      async (span) => {
        const t0 = performance.now();
        // Cross-pod: one compaction owner per room, and the claimed seq is capped at what this pod applied.
        const grant = await host.hooks.acquireCompaction(host.id, progress.lastSeq);
        const seq = grant ? Math.min(progress.lastSeq, grant.seq) : progress.lastSeq;
        if (grant === null || seq <= this.snapshotSeq) {
          span.setAttribute('collab.skipped', true);
          span.end();
          await grant?.release();
          return;
        }
        const ts = progress.lastTs;
        const ops = progress.opsSinceSnapshot;
        const bytes = progress.bytesSinceSnapshot;
        try {
          const state = Y.encodeStateAsUpdate(host.doc);
          span.setAttributes({ 'collab.seq': seq, 'collab.bytes': state.byteLength, 'collab.ops': ops });
          await host.storage.saveSnapshot(host.id, { seq, ts, state });
          this.snapshotSeq = seq;
          this.bytes = state.byteLength;
          progress.opsSinceSnapshot = Math.max(0, progress.opsSinceSnapshot - ops);
          progress.bytesSinceSnapshot = Math.max(0, progress.bytesSinceSnapshot - bytes);
          host.hooks.emit('onCompaction', {
            room: host.id,
            org: host.org,
            seq,
            bytes: state.byteLength,
            durationMs: performance.now() - t0,
          });
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'compaction failed' });
          host.logger.warn(
            { room: host.id, err: (err as Error)?.message ?? String(err) },
            'compaction failed; will retry'
          );
        } finally {
          span.end();
          await grant?.release();
        }
      }
    );
    this.compacting = run.finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }
}
