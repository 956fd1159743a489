/**
 * A loaded room: one `Y.Doc`, its `Awareness`, the local connections, and the
 * write path (`update/pipeline.ts`) that makes every update durable BEFORE it
 * is applied or broadcast.
 *
 * The doc is read-only by convention for everything outside this class (the
 * inspect bridge reads `room.doc` / `room.awareness`).
 */
import { context as otelContext, SpanStatusCode, type Context } from '@opentelemetry/api';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { RoomRuntimeStats } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import type { HookBus } from '../hooks/index.js';
import { tracer } from '../observability/tracer.js';
import { decodeAwarenessUpdate, encodeAwarenessEntries, type AwarenessEntry } from './awareness/codec.js';
import { encodeAwareness, encodeSyncStep1, encodeSyncUpdate } from './frames.js';
import type { RoomClient, RoomProgress, RoomState, UpdateResult } from './types.js';
import { FullStateReplies } from './fullState.js';
import { NewClientIds } from './update/clientIds.js';
import { UpdatePipeline } from './update/pipeline.js';
import { ShadowValidator } from './update/shadow.js';
import { DEFAULT_MAX_PENDING_DELETE_RANGES, inspectUpdate, trimPendingDeletes } from './update/validate.js';
import { PresenceOwners, type Claimant, type PresenceClaim } from './awareness/owners.js';

export type { RoomClient, RoomState, UpdateResult } from './types.js';
export { inspectUpdate } from './update/validate.js';

export interface RoomOptions {
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
   * Distinct awareness client ids one connection may set a state for over its lifetime
   * (`COLLAB_AWARENESS_MAX_CLIENTS`, default 8; a stock y-websocket client uses one).
   */
  awarenessMaxClients?: number;
  /** Largest encoded (JSON) awareness state of one client id, bytes (`COLLAB_AWARENESS_MAX_STATE_BYTES`). */
  awarenessMaxStateBytes?: number;
  /** This pod's name: awareness owners are `<pod>/<connection id>` (unique across pods). */
  podName?: string;
  /** How long a released awareness client id stays reserved to its principal (`COLLAB_PRESENCE_RESERVE_MS`). */
  presenceReserveMs?: number;
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

export const DEFAULT_AWARENESS_MAX_CLIENTS = 8;
export const DEFAULT_AWARENESS_MAX_STATE_BYTES = 16 * 1024;

/** An awareness update over a per-connection limit: the transport closes with RATE_LIMITED (4413). */
export class AwarenessLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwarenessLimitError';
  }
}

/** Two decoded awareness states are the same JSON value. */
function sameState(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
  /** Local connections → the awareness client ids each one controls. */
  readonly connections = new Map<RoomClient, Set<number>>();
  /** Awareness client id → the local connection that controls it (reverse of `connections`). */
  private readonly awarenessOwners = new Map<number, RoomClient>();
  /** Who may set or remove each awareness client id: local and other pods' connections. */
  private readonly presence: PresenceOwners;
  /** Distinct awareness client ids each local connection ever set a state for (bounded per connection). */
  private readonly awarenessClaims = new Map<RoomClient, Set<number>>();
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
  private snapshotSeq = 0;
  private snapshotBytes = 0;
  private lastActivity = Date.now();
  private compacting: Promise<void> | null = null;
  private compactTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closedPromise: Promise<void> | null = null;
  /** Validates updates against the current state before they are persisted (`update/shadow.ts`). */
  private readonly shadow: ShadowValidator;
  private readonly pipeline: UpdatePipeline;
  /** One shared full-state sync reply per document version. */
  private readonly fullState: FullStateReplies;

  private constructor(
    id: string,
    private readonly deps: RoomDeps
  ) {
    this.id = id;
    this.org = id.split('/')[0] as string;
    this.doc = new Y.Doc({ gc: true });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.presence = new PresenceOwners(deps.options.presenceReserveMs);
    // The pod itself has no presence.
    this.awareness.setLocalState(null);
    this.awareness.on('update', this.onAwarenessUpdate);
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
            room.snapshotSeq = loaded.snapshot.seq;
            room.progress.lastSeq = loaded.snapshot.seq;
            room.progress.lastTs = loaded.snapshot.ts;
            room.snapshotBytes = loaded.snapshot.state.byteLength;
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
          'collab.snapshot_seq': room.snapshotSeq,
          'collab.updates': loaded.updates.length,
          'collab.bytes': room.snapshotBytes + bytes,
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
    this.compactTimer = setInterval(() => {
      if (this.progress.opsSinceSnapshot > 0) void this.compact();
    }, this.deps.options.compactIntervalMs);
    this.compactTimer.unref();
    this.scheduleIdle();
  }

  // ---- connections -------------------------------------------------------

  /** Adds a connection and sends the server's sync step 1 and current presence. */
  join(client: RoomClient): void {
    if (this.state !== 'open') throw new Error('room is not open');
    this.connections.set(client, new Set());
    this.awarenessClaims.set(client, new Set());
    this.lastActivity = Date.now();
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    client.send(encodeSyncStep1(this.doc));
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) client.send(encodeAwareness(this.awareness, states));
  }

  /** Removes a connection and the awareness states it controlled (broadcast to the others). */
  leave(client: RoomClient): void {
    const ids = this.connections.get(client);
    if (!ids) return;
    this.connections.delete(client);
    this.awarenessClaims.delete(client);
    this.lastActivity = Date.now();
    if (ids.size > 0 && this.state !== 'closed') {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...ids], null);
    }
    for (const id of ids) if (this.awarenessOwners.get(id) === client) this.awarenessOwners.delete(id);
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

  // ---- awareness -------------------------------------------------------------

  /**
   * Applies a client's awareness update. Throws on malformed input (the caller closes 4400) and
   * `AwarenessLimitError` when the connection goes over its limits (the caller closes 4413): more
   * distinct client ids than `awarenessMaxClients`, or a state larger than `awarenessMaxStateBytes`.
   *
   * A client id belongs to the connection that first announced it, here or on another pod (see
   * `PresenceOwners`): entries for an id someone else owns are dropped — a stock y-websocket client
   * echoes every awareness change it receives (same clock, a no-op) and propagates its own timeouts of
   * other clients' states, so such entries are normal and must not close it, but no connection may set
   * or remove another's presence; the ones that would have changed something are counted
   * (`onPresenceRefused`). Entries that would change nothing (clock not newer, or the removal of a state
   * that is not there) are dropped as well, so they are not broadcast.
   *
   * When a connection (re)gains an id — first announcement, or its principal reconnecting — its first
   * state is accepted even with a clock that is not newer (a reconnecting stock client re-sends its
   * unchanged clock, which every observer had already passed when its state was removed) and is
   * re-stamped one past the room's clock, so every observer, and the owner itself, accept it at once.
   */
  applyAwareness(client: RoomClient, update: Uint8Array, parent?: Context): void {
    const span = tracer.startSpan(
      'awareness',
      { attributes: { org: this.org, 'room.id': this.id, 'collab.bytes': update.byteLength } },
      parent ?? otelContext.active()
    );
    try {
      const decoded = decodeAwarenessUpdate(update);
      const { keep, rewritten } = this.screenAwareness(client, decoded);
      if (keep.length === 0) return;
      // Nothing screened out or re-stamped (the usual case): apply the bytes as received.
      const kept = keep.length === decoded.length && !rewritten ? update : encodeAwarenessEntries(keep);
      awarenessProtocol.applyAwarenessUpdate(this.awareness, kept, client);
    } finally {
      span.end();
    }
  }

  /** How a local connection is named as an awareness owner. */
  private claimantOf(client: RoomClient): Claimant {
    const owner = `${this.deps.options.podName ?? 'pod'}/${client.id}`;
    return { owner, principal: client.info?.userPseudonym ?? owner, since: Date.now() };
  }

  /** `e` would change the room's awareness if applied (y-protocols' own rule). */
  private wouldChange(e: AwarenessEntry): boolean {
    const clock = this.awareness.meta.get(e.id)?.clock ?? 0;
    const has = this.awareness.states.has(e.id);
    return clock < e.clock || (clock === e.clock && e.state === null && has);
  }

  /** A foreign entry is dropped; counted (`onPresenceRefused`) when it would have changed something. */
  private refuse(e: AwarenessEntry, source: 'local' | 'remote'): void {
    if (!this.wouldChange(e)) return;
    this.deps.hooks.emit('onPresenceRefused', {
      room: this.id,
      org: this.org,
      kind: e.state === null ? 'remove' : 'set',
      source,
    });
  }

  /** `id` now belongs to `c`: a local connection that held it no longer controls it. */
  private takeOwnership(id: number, c: Claimant): void {
    this.presence.take(id, c);
    const prev = this.awarenessOwners.get(id);
    if (prev !== undefined) {
      this.awarenessOwners.delete(id);
      this.connections.get(prev)?.delete(id);
    }
  }

  /** The entries of a client's awareness update that it may apply (see `applyAwareness`). */
  private screenAwareness(
    client: RoomClient,
    entries: AwarenessEntry[]
  ): { keep: AwarenessEntry[]; rewritten: boolean } {
    const claims = this.awarenessClaims.get(client);
    if (!claims) return { keep: [], rewritten: false };
    const maxClients = this.deps.options.awarenessMaxClients ?? DEFAULT_AWARENESS_MAX_CLIENTS;
    const maxBytes = this.deps.options.awarenessMaxStateBytes ?? DEFAULT_AWARENESS_MAX_STATE_BYTES;
    const claimant = this.claimantOf(client);
    const keep: AwarenessEntry[] = [];
    let rewritten = false;
    for (const e of entries) {
      // Only a connection's first id may take over one of its principal's (a reconnecting owner); the
      // states other tabs of the same user echo back must not move.
      const verdict = this.presence.check(e.id, claimant, claims.size === 0);
      if (verdict === 'foreign') {
        this.refuse(e, 'local');
        continue;
      }
      const has = this.awareness.states.has(e.id);
      const clock = this.awareness.meta.get(e.id)?.clock ?? 0;
      if (e.state === null) {
        // Only the owner removes its state (a takeover does not start with a removal).
        if (verdict === 'own' && has && e.clock >= clock) keep.push(e);
        continue;
      }
      if (verdict === 'own' && clock >= e.clock) continue;
      if (e.json.byteLength > maxBytes) {
        throw new AwarenessLimitError(`awareness state larger than ${maxBytes} bytes`);
      }
      if (!claims.has(e.id)) {
        if (claims.size >= maxClients) {
          throw new AwarenessLimitError(`more than ${maxClients} awareness clients on one connection`);
        }
        claims.add(e.id);
      }
      if (verdict === 'claim') {
        this.takeOwnership(e.id, claimant);
        if (e.clock <= clock) {
          keep.push({ ...e, clock: clock + 1 });
          rewritten = true;
          continue;
        }
      }
      keep.push(e);
    }
    return { keep, rewritten };
  }

  /**
   * Applies an awareness update another pod forwarded, with the claims of its entries' owners
   * (cluster fan-out). The same ownership rules as for local connections: an entry whose id another
   * owner holds is dropped and counted; a new owner's state is accepted whatever its clock. An owner's
   * states are authoritative here, so an entry from it whose clock this pod already passed (re-stamped
   * on the owner's pod or here) is re-stamped past this pod's clock when it changes the state, and
   * only refreshes the state's timeout when it does not. Throws on a malformed update.
   */
  applyRemoteAwareness(update: Uint8Array, claims: readonly PresenceClaim[], origin: unknown): void {
    const byId = new Map(claims.map((c) => [c.id, c]));
    const keep: AwarenessEntry[] = [];
    for (const e of decodeAwarenessUpdate(update)) {
      const claim = byId.get(e.id);
      if (!claim) continue;
      const verdict = this.presence.check(e.id, claim);
      if (verdict === 'foreign') {
        this.refuse(e, 'remote');
        continue;
      }
      const has = this.awareness.states.has(e.id);
      const meta = this.awareness.meta.get(e.id);
      const clock = meta?.clock ?? 0;
      if (e.state === null) {
        if (verdict === 'own' && has) keep.push({ ...e, clock: Math.max(e.clock, clock) });
        continue;
      }
      if (verdict === 'claim') this.takeOwnership(e.id, claim);
      if (e.clock > clock) {
        keep.push(e);
      } else if (verdict === 'claim' || !has || !sameState(this.awareness.states.get(e.id), e.state)) {
        keep.push({ ...e, clock: clock + 1 });
      } else if (meta) {
        meta.lastUpdated = Date.now();
      }
    }
    if (keep.length > 0)
      awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(keep), origin);
  }

  /** The claims behind `ids` (the owner, or who held a released id last), for forwarding to other pods. */
  presenceClaims(ids: readonly number[]): PresenceClaim[] {
    const out: PresenceClaim[] = [];
    for (const id of ids) {
      const c = this.presence.lastClaim(id);
      if (c) out.push({ id, ...c });
    }
    return out;
  }

  /** True when a connection of this pod owns `id`. */
  ownsLocally(id: number): boolean {
    return this.awarenessOwners.has(id);
  }

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown
  ): void => {
    if (this.state === 'closed') return;
    const changed = added.concat(updated, removed);
    const owner = this.connections.get(origin as RoomClient);
    if (owner) {
      // Foreign ids were screened out: what a local connection sets is its own.
      for (const id of added.concat(updated)) {
        owner.add(id);
        this.awarenessOwners.set(id, origin as RoomClient);
      }
    }
    for (const id of removed) {
      // The owner's state is gone (removed, its connection left, or timed out): release the claim.
      this.presence.release(id);
      const o = this.awarenessOwners.get(id);
      if (o === undefined) continue;
      this.awarenessOwners.delete(id);
      this.connections.get(o)?.delete(id);
    }
    this.lastActivity = Date.now();
    this.broadcast(encodeAwareness(this.awareness, changed), null);
    this.deps.hooks.emit('onAwareness', {
      room: this.id,
      org: this.org,
      ...(owner ? { connId: (origin as RoomClient).id } : {}),
      added,
      updated,
      removed,
    });
  };

  /** Encodes every current awareness state (answer to query-awareness). */
  awarenessFrame(): Uint8Array | null {
    const ids = [...this.awareness.getStates().keys()];
    return ids.length > 0 ? encodeAwareness(this.awareness, ids) : null;
  }

  // ---- compaction ------------------------------------------------------------

  /**
   * Writes a snapshot covering every applied update. The state and its seq
   * are captured synchronously together, so the snapshot is exactly "log up
   * to seq" (plus any remote updates, which are idempotent to re-apply).
   * The log is not deleted (history); retention prunes it later.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const progress = this.progress;
    if (progress.opsSinceSnapshot === 0 || progress.lastSeq <= this.snapshotSeq) return Promise.resolve();
    const run = tracer.startActiveSpan(
      'compaction',
      { attributes: { org: this.org, 'room.id': this.id } },
      async (span) => {
        const t0 = performance.now();
        // Cross-pod: one compaction owner per room, and the claimed seq is capped at what this pod applied.
        const grant = await this.deps.hooks.acquireCompaction(this.id, progress.lastSeq);
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
          const state = Y.encodeStateAsUpdate(this.doc);
          span.setAttributes({ 'collab.seq': seq, 'collab.bytes': state.byteLength, 'collab.ops': ops });
          await this.deps.storage.saveSnapshot(this.id, { seq, ts, state });
          this.snapshotSeq = seq;
          this.snapshotBytes = state.byteLength;
          progress.opsSinceSnapshot = Math.max(0, progress.opsSinceSnapshot - ops);
          progress.bytesSinceSnapshot = Math.max(0, progress.bytesSinceSnapshot - bytes);
          this.deps.hooks.emit('onCompaction', {
            room: this.id,
            org: this.org,
            seq,
            bytes: state.byteLength,
            durationMs: performance.now() - t0,
          });
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'compaction failed' });
          this.deps.logger.warn(
            { room: this.id, err: (err as Error)?.message ?? String(err) },
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
    if (this.compactTimer) clearInterval(this.compactTimer);
    this.idleTimer = null;
    this.compactTimer = null;
    this.closedPromise = (async () => {
      await this.drain();
      if (this.compacting) await this.compacting;
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
    this.awareness.off('update', this.onAwarenessUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }

  stats(): RoomRuntimeStats {
    return {
      room: this.id,
      org: this.org,
      connections: this.connections.size,
      docBytes: this.snapshotBytes + this.progress.bytesSinceSnapshot,
      ops: this.progress.ops,
      pendingDurable: this.pipeline.pendingDurable,
      pendingCompaction: this.progress.opsSinceSnapshot,
      // Local connections' states only: with cross-pod fan-out each pod counts its own clients once.
      presence: this.localPresence(),
      lastActivity: this.lastActivity,
    };
  }

  private localPresence(): number {
    const states = this.awareness.getStates();
    let n = 0;
    for (const ids of this.connections.values()) for (const id of ids) if (states.has(id)) n += 1;
    return n;
  }

  /** Highest durable seq applied to the doc. */
  get seq(): number {
    return this.progress.lastSeq;
  }
}
