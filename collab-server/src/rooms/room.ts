/**
 * A loaded room: one `Y.Doc`, its `Awareness`, the local connections, and its parts:
 *
 * - the write path (`update/pipeline.ts`) that makes every update durable BEFORE it is applied or
 *   broadcast;
 * - its presence (`awareness/presence.ts`): who may set each awareness client id, per-connection limits;
 * - its sync replies (`fullState.ts`): one shared full-state reply per document version;
 * - its compaction (`compaction.ts`): snapshots of the doc.
 *
 * This file loads the room, admits and removes connections, applies what other pods persisted, and
 * unloads it.
 *
 * The doc is read-only by convention for everything outside this class (the
 * inspect bridge reads `room.doc` / `room.awareness`).
 */
import { SpanStatusCode, type Context } from '@opentelemetry/api';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { RoomRuntimeStats } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import type { HookBus } from '../hooks/index.js';
import { tracer } from '../observability/tracer.js';
import { encodeSyncStep1, encodeSyncUpdate } from './frames.js';
import type { RoomClient, RoomProgress, RoomState, UpdateResult } from './types.js';
import { FullStateReplies } from './fullState.js';
import { NewClientIds } from './update/clientIds.js';
import { UpdatePipeline } from './update/pipeline.js';
import { ShadowValidator } from './update/shadow.js';
import { DEFAULT_MAX_PENDING_DELETE_RANGES, inspectUpdate, trimPendingDeletes } from './update/validate.js';
import type { PresenceClaim } from './awareness/owners.js';
import { RoomPresence, type PresenceOptions } from './awareness/presence.js';
import { RoomCompaction } from './compaction.js';

export type { RoomClient, RoomState, UpdateResult } from './types.js';
export { inspectUpdate } from './update/validate.js';
export {
  AwarenessLimitError,
  DEFAULT_AWARENESS_MAX_CLIENTS,
  DEFAULT_AWARENESS_MAX_STATE_BYTES,
} from './awareness/presence.js';

/** A room's options; the presence ones (awareness limits, pod name, reservation) are `PresenceOptions`. */
export interface RoomOptions extends PresenceOptions {
  compactIntervalMs: number;
  compactOps: number;
  idleMs: number;
  /**
   * Validate each update by applying it to a shadow copy of the doc before it
   * is persisted (default true). Costs a second copy of every loaded doc and a
   * second apply per update; without it only decoding is checked, and an
   * update that decodes but cannot be applied to the current state (crafted
   * or buggy client) would be stored before being refused.
   */
  shadowValidation?: boolean;
  /**
   * Client ids unknown to the room one connection may introduce over its lifetime
   * (`COLLAB_MAX_NEW_CLIENT_IDS`; undefined = unbounded). Beyond: UPDATE_BUDGET_EXCEEDED (4429).
   */
  maxNewClientIds?: number;
  /**
   * Most delete ranges a room holds for content it does not have (`COLLAB_MAX_PENDING_DELETE_RANGES`,
   * see `update/validate.ts`): client updates beyond are refused (4416), the excess arriving from
   * another pod or from storage is dropped.
   */
  maxPendingDeleteRanges?: number;
}

export interface RoomDeps {
  storage: Storage;
  hooks: HookBus;
  logger: Logger;
  options: RoomOptions;
  /** Called when the room has been idle (no connections) for `idleMs`. */
  onIdle(room: Room): void;
}

/** Origin used when applying updates from another pod (never persisted here). */
export const REMOTE_ORIGIN = Symbol('remote');

export class Room {
  readonly id: string;
  readonly org: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  /** Local connections → the awareness client ids each one controls (kept by `presence`). */
  readonly connections = new Map<RoomClient, Set<number>>();
  state: RoomState = 'open';

  /** The durable log as applied to the doc (advanced by the write path, read by compaction and stats). */
  readonly progress: RoomProgress = {
    lastSeq: 0,
    lastTs: 0,
    ops: 0,
    opsSinceSnapshot: 0,
    bytesSinceSnapshot: 0,
  };
  /** How long `load` took (snapshot + log replay), ms. */
  loadMs = 0;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  private closedPromise: Promise<void> | null = null;
  /** Validates updates against the current state before they are persisted (`update/shadow.ts`). */
  private readonly shadow: ShadowValidator;
  private readonly pipeline: UpdatePipeline;
  /** One shared full-state sync reply per document version. */
  private readonly fullState: FullStateReplies;
  /** Awareness states, their owners and per-connection limits. */
  private readonly presence: RoomPresence;
  private readonly compaction: RoomCompaction;

  private constructor(
    id: string,
    private readonly deps: RoomDeps
  ) {
    this.id = id;
    this.org = id.split('/')[0] as string;
    this.doc = new Y.Doc({ gc: true });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.presence = new RoomPresence({
      id,
      org: this.org,
      awareness: this.awareness,
      connections: this.connections,
      hooks: deps.hooks,
      options: deps.options,
      state: () => this.state,
      broadcast: (frame, except) => this.broadcast(frame, except),
      touch: () => {
        this.lastActivity = Date.now();
      },
    });
    this.compaction = new RoomCompaction({
      id,
      org: this.org,
      doc: this.doc,
      progress: this.progress,
      storage: deps.storage,
      hooks: deps.hooks,
      logger: deps.logger,
      compactIntervalMs: deps.options.compactIntervalMs,
    });
    this.shadow = new ShadowValidator(
      this.doc,
      deps.options.shadowValidation !== false,
      () => this.pipeline.pendingDurable
    );
    this.fullState = new FullStateReplies(this.doc);
    this.pipeline = new UpdatePipeline({
      id,
      org: this.org,
      doc: this.doc,
      state: () => this.state,
      storage: deps.storage,
      hooks: deps.hooks,
      logger: deps.logger,
      progress: this.progress,
      shadow: this.shadow,
      clientIds: new NewClientIds(this.doc, deps.options.maxNewClientIds),
      maxPendingDeleteRanges: this.maxPendingDeleteRanges,
      touch: () => {
        this.lastActivity = Date.now();
      },
      broadcast: (frame, except) => this.broadcast(frame, except),
      afterApply: () => {
        if (this.progress.opsSinceSnapshot >= this.deps.options.compactOps) void this.compact();
      },
    });
  }

  /**
   * Loads a room from storage: latest snapshot plus the log after it. The caller (`RoomManager`)
   * registers the room, then emits `onRoomLoaded`, so hooks can look the room up.
   */
  static async load(id: string, deps: RoomDeps): Promise<Room> {
    const org = id.split('/')[0] as string;
    return tracer.startActiveSpan('room.load', { attributes: { org, 'room.id': id } }, async (span) => {
      const t0 = performance.now();
      const room = new Room(id, deps);
      try {
        const loaded = await deps.storage.load(id);
        let skipped = 0;
        let bytes = 0;
        room.doc.transact(() => {
          if (loaded.snapshot) {
            Y.applyUpdate(room.doc, loaded.snapshot.state, room);
            room.compaction.loaded(loaded.snapshot.seq, loaded.snapshot.state.byteLength);
            room.progress.lastSeq = loaded.snapshot.seq;
            room.progress.lastTs = loaded.snapshot.ts;
          }
          for (const u of loaded.updates) {
            try {
              Y.applyUpdate(room.doc, u.update, room);
            } catch {
              // Never expected (updates are validated before they are stored); keep loading the rest.
              skipped += 1;
            }
            bytes += u.update.byteLength;
            room.progress.lastSeq = Math.max(room.progress.lastSeq, u.seq);
            room.progress.lastTs = Math.max(room.progress.lastTs, u.ts);
          }
        }, room);
        room.trimPendingDeletes('load');
        room.progress.bytesSinceSnapshot = bytes;
        room.progress.opsSinceSnapshot = loaded.updates.length;
        if (skipped > 0) deps.logger.error({ room: id, skipped }, 'stored updates could not be applied');
        span.setAttributes({
          'collab.snapshot_seq': loaded.snapshot?.seq ?? 0,
          'collab.updates': loaded.updates.length,
          'collab.bytes': room.compaction.snapshotBytes + bytes,
        });
        room.shadow.init();
        room.startTimers();
        room.loadMs = performance.now() - t0;
        return room;
      } catch (err) {
        room.destroyYjs();
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'room load failed' });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private startTimers(): void {
    this.compaction.start();
    this.scheduleIdle();
  }

  // ---- connections -------------------------------------------------------

  /** Adds a connection and sends the server's sync step 1 and current presence. */
  join(client: RoomClient): void {
    if (this.state !== 'open') throw new Error('room is not open');
    this.connections.set(client, new Set());
    this.presence.join(client);
    this.lastActivity = Date.now();
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    client.send(encodeSyncStep1(this.doc));
    const presence = this.presence.frame();
    if (presence) client.send(presence);
  }

  /** Removes a connection and the awareness states it controlled (broadcast to the others). */
  leave(client: RoomClient): void {
    const ids = this.connections.get(client);
    if (!ids) return;
    this.connections.delete(client);
    this.lastActivity = Date.now();
    this.presence.leave(client, ids);
    this.scheduleIdle();
  }

  private scheduleIdle(): void {
    if (this.connections.size > 0 || this.state !== 'open' || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.connections.size === 0 && this.state === 'open') this.deps.onIdle(this);
    }, this.deps.options.idleMs);
    this.idleTimer.unref();
  }

  // ---- sync ------------------------------------------------------------------

  /**
   * Answers a client's sync step 1 (its state vector) with the missing state (step 2). A state
   * vector that covers nothing of the doc gets the one full-state frame shared by every such
   * requester until the doc changes (see `fullState.ts`): callers must not modify it.
   */
  syncStep2For(stateVector: Uint8Array): Uint8Array {
    return this.fullState.replyTo(stateVector);
  }

  /**
   * Submits a client update (sync step 2 or update). Resolves once it has been
   * persisted, applied and broadcast, or refused. The caller must have
   * validated nothing: the write path validates before persisting.
   */
  submitUpdate(client: RoomClient, update: Uint8Array, parent?: Context): Promise<UpdateResult> {
    return this.pipeline.submit(client, update, parent);
  }

  /**
   * Applies an update that another pod already persisted (cross-pod fan-out):
   * applied and broadcast to local clients, NOT persisted again.
   * Returns false when the update is invalid or the room is closed.
   */
  applyRemoteUpdate(update: Uint8Array, origin: unknown = REMOTE_ORIGIN): boolean {
    if (this.state === 'closed') return false;
    const check = inspectUpdate(update);
    if (!check.ok) return false;
    if (check.empty) return true;
    const t0 = performance.now();
    try {
      Y.applyUpdate(this.doc, update, origin ?? REMOTE_ORIGIN);
    } catch {
      this.shadow.markDirty();
      return false;
    }
    if (this.trimPendingDeletes('remote') > 0) this.shadow.markDirty();
    else this.shadow.follow(update);
    this.lastActivity = Date.now();
    this.broadcast(encodeSyncUpdate(update), null);
    this.deps.hooks.emit('onUpdate', {
      room: this.id,
      org: this.org,
      origin: 'remote',
      clientId: check.clientId,
      update,
      seq: 0,
      ts: Date.now(),
      durationMs: performance.now() - t0,
    });
    return true;
  }

  private get maxPendingDeleteRanges(): number {
    return this.deps.options.maxPendingDeleteRanges ?? DEFAULT_MAX_PENDING_DELETE_RANGES;
  }

  /**
   * Drops the doc's pending delete set when it is over the bound (what came from another pod or
   * from storage cannot be refused, but it must not slow every later sync); returns the ranges dropped.
   */
  private trimPendingDeletes(path: 'load' | 'remote'): number {
    const dropped = trimPendingDeletes(this.doc, this.maxPendingDeleteRanges);
    if (dropped > 0) {
      this.deps.logger.warn(
        { room: this.id, path, ranges: dropped, max: this.maxPendingDeleteRanges },
        'pending delete set over the bound dropped'
      );
    }
    return dropped;
  }

  /** Sends a frame to every local connection except `except`; returns the recipient count. */
  broadcast(frame: Uint8Array, except: RoomClient | null): number {
    let n = 0;
    for (const c of this.connections.keys()) {
      if (c === except) continue;
      c.send(frame);
      n += 1;
    }
    return n;
  }

  // ---- awareness (see `awareness/presence.ts`) ---------------------------------

  /**
   * Applies a client's awareness update under the room's ownership rules and per-connection limits.
   * Throws on malformed input (the caller closes 4400) and `AwarenessLimitError` over a limit (4413).
   */
  applyAwareness(client: RoomClient, update: Uint8Array, parent?: Context): void {
    this.presence.apply(client, update, parent);
  }

  /** Applies an awareness update another pod forwarded, with its owners' claims (throws if malformed). */
  applyRemoteAwareness(update: Uint8Array, claims: readonly PresenceClaim[], origin: unknown): void {
    this.presence.applyRemote(update, claims, origin);
  }

  /** The claims behind `ids` (the owner, or who held a released id last), for forwarding to other pods. */
  presenceClaims(ids: readonly number[]): PresenceClaim[] {
    return this.presence.claims(ids);
  }

  /** True when a connection of this pod owns `id`. */
  ownsLocally(id: number): boolean {
    return this.presence.ownsLocally(id);
  }

  /** Encodes every current awareness state (answer to query-awareness). */
  awarenessFrame(): Uint8Array | null {
    return this.presence.frame();
  }

  // ---- compaction (see `compaction.ts`) -------------------------------------------

  /** Writes a snapshot covering every applied update (one run at a time). */
  compact(): Promise<void> {
    return this.compaction.compact();
  }

  // ---- lifecycle -------------------------------------------------------------

  /** Resolves once every submitted update has been persisted (or refused) and applied. */
  drain(): Promise<void> {
    return this.pipeline.drain();
  }

  /**
   * Unloads the room: waits for pending writes, runs a final compaction, then
   * destroys the doc and awareness. Connections must be closed by the caller
   * first (or there are none, for idle unload).
   */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.state = 'closing';
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.compaction.stop();
    this.closedPromise = (async () => {
      await this.drain();
      await this.compaction.settled();
      await this.compact();
      this.state = 'closed';
      this.connections.clear();
      this.destroyYjs();
      this.deps.hooks.emit('onRoomUnloaded', { room: this.id, org: this.org });
    })();
    return this.closedPromise;
  }

  private destroyYjs(): void {
    this.shadow.destroy();
    this.fullState.destroy();
    this.presence.destroy();
    this.doc.destroy();
  }

  stats(): RoomRuntimeStats {
    return {
      room: this.id,
      org: this.org,
      connections: this.connections.size,
      docBytes: this.compaction.snapshotBytes + this.progress.bytesSinceSnapshot,
      ops: this.progress.ops,
      pendingDurable: this.pipeline.pendingDurable,
      pendingCompaction: this.progress.opsSinceSnapshot,
      // Local connections' states only: with cross-pod fan-out each pod counts its own clients once.
      presence: this.presence.localCount(),
      lastActivity: this.lastActivity,
    };
  }

  /** Highest durable seq applied to the doc. */
  get seq(): number {
    return this.progress.lastSeq;
  }
}
