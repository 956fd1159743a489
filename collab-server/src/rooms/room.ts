/**
 * A loaded room: one `Y.Doc`, its `Awareness`, the local connections, and the
 * write path that makes every update durable BEFORE it is applied or broadcast.
 *
 * Write path (per room, strictly in arrival order):
 *   validate (decode, then apply to a shadow copy of the doc: garbage and
 *   updates that cannot be applied to the current state never reach storage)
 *   → storage.append (group-committed with other appends of the same tick)
 *   → apply to the doc → broadcast to the other local clients → onUpdate.
 * Appends are issued immediately (so they batch), but their results are
 * consumed through a per-room promise chain, so updates are applied in seq
 * order even if they came from different connections. A failed append closes
 * the sender with STORAGE_UNAVAILABLE and the update is neither applied nor
 * broadcast: nobody ever saw it, so nothing acknowledged is lost (the stock
 * client re-sends its state on reconnect).
 *
 * The doc is read-only by convention for everything outside this class (the
 * inspect bridge reads `room.doc` / `room.awareness`).
 */
import { context as otelContext, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { CloseCode, YMessageType } from '@collabblocks/protocol';
import type { ConnectionInfo, RoomRuntimeStats } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import type { HookBus } from '../hooks/index.js';
import { childSpan, sampledTraceId, tracer } from '../observability/tracer.js';

/** What a room needs from a transport connection. */
export interface RoomClient {
  readonly id: string;
  readonly info: ConnectionInfo;
  /** Sends one binary frame (the transport enforces the slow-consumer bound). */
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
}

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One entry of an awareness update: client id, clock, and its state as encoded JSON bytes. */
interface AwarenessEntry {
  id: number;
  clock: number;
  json: Uint8Array;
  state: unknown;
}

/** Strict decoding of an awareness update (throws on truncated input or invalid JSON: the caller closes 4400). */
function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const d = decoding.createDecoder(update);
  const n = decoding.readVarUint(d);
  const out: AwarenessEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    const len = decoding.readVarUint(d);
    if (len > d.arr.length - d.pos) throw new Error('truncated awareness state');
    const json = decoding.readUint8Array(d, len);
    out.push({ id, clock, json, state: JSON.parse(utf8.decode(json)) as unknown });
  }
  return out;
}

function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(enc, e.id);
    encoding.writeVarUint(enc, e.clock);
    // Same bytes as y-protocols' writeVarString of the JSON text.
    encoding.writeVarUint8Array(enc, e.json);
  }
  return encoding.toUint8Array(enc);
}

export interface RoomDeps {
  storage: Storage;
  hooks: HookBus;
  logger: Logger;
  options: RoomOptions;
  /** Called when the room has been idle (no connections) for `idleMs`. */
  onIdle(room: Room): void;
}

export type RoomState = 'open' | 'closing' | 'closed';

export type UpdateResult = 'applied' | 'empty' | 'invalid' | 'storage-failed' | 'closed';

/** Origin used when applying updates from another pod (never persisted here). */
export const REMOTE_ORIGIN = Symbol('remote');

function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, YMessageType.SYNC);
  syncProtocol.writeUpdate(enc, update);
  return encoding.toUint8Array(enc);
}

function encodeAwareness(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, YMessageType.AWARENESS);
  encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(enc);
}

/**
 * Validates a Yjs v1 update without touching any document: `Y.decodeUpdate`
 * reads every struct and the delete set and throws on truncated or garbage
 * input. Returns the author client id (first struct) and whether it is empty.
 */
export function inspectUpdate(
  update: Uint8Array
): { ok: true; clientId: number; empty: boolean } | { ok: false } {
  try {
    const decoded = Y.decodeUpdate(update);
    // Yjs client ids are uint32; larger ones decode but no real client produces them.
    for (const st of decoded.structs) if (st.id.client > 0xffffffff) return { ok: false };
    for (const client of decoded.ds.clients.keys()) if (client > 0xffffffff) return { ok: false };
    const first = decoded.structs[0];
    const empty = decoded.structs.length === 0 && decoded.ds.clients.size === 0;
    return { ok: true, clientId: first ? first.id.client : 0, empty };
  } catch {
    return { ok: false };
  }
}

export class Room {
  readonly id: string;
  readonly org: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  /** Local connections → the awareness client ids each one controls. */
  readonly connections = new Map<RoomClient, Set<number>>();
  /** Awareness client id → the local connection that controls it (reverse of `connections`). */
  private readonly awarenessOwners = new Map<number, RoomClient>();
  /** Distinct awareness client ids each local connection ever set a state for (bounded per connection). */
  private readonly awarenessClaims = new Map<RoomClient, Set<number>>();
  state: RoomState = 'open';

  private lastSeq = 0;
  private lastTs = 0;
  private snapshotSeq = 0;
  private snapshotBytes = 0;
  private bytesSinceSnapshot = 0;
  private opsSinceSnapshot = 0;
  private ops = 0;
  private pendingDurable = 0;
  private lastActivity = Date.now();
  private chain: Promise<void> = Promise.resolve();
  private compacting: Promise<void> | null = null;
  private compactTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closedPromise: Promise<void> | null = null;
  /**
   * Shadow copy used to validate updates against the current state before they
   * are persisted; it receives every accepted update in the same order as the
   * doc (possibly ahead of it by the updates still being persisted). Null when
   * disabled; rebuilt from the doc after a refused or failed update.
   */
  private shadow: Y.Doc | null = null;
  private shadowDirty = false;
  /** The shadow was rebuilt while updates were in flight: rebuild again once they are applied. */
  private shadowLagging = false;

  private constructor(
    id: string,
    private readonly deps: RoomDeps
  ) {
    this.id = id;
    this.org = id.split('/')[0] as string;
    this.doc = new Y.Doc({ gc: true });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // The pod itself has no presence.
    this.awareness.setLocalState(null);
    this.awareness.on('update', this.onAwarenessUpdate);
  }

  /** Loads a room from storage: latest snapshot plus the log after it. */
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
            room.lastSeq = loaded.snapshot.seq;
            room.lastTs = loaded.snapshot.ts;
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
            room.lastSeq = Math.max(room.lastSeq, u.seq);
            room.lastTs = Math.max(room.lastTs, u.ts);
          }
        }, room);
        room.bytesSinceSnapshot = bytes;
        room.opsSinceSnapshot = loaded.updates.length;
        if (skipped > 0) deps.logger.error({ room: id, skipped }, 'stored updates could not be applied');
        span.setAttributes({
          'collab.snapshot_seq': room.snapshotSeq,
          'collab.updates': loaded.updates.length,
          'collab.bytes': room.snapshotBytes + bytes,
        });
        if (deps.options.shadowValidation !== false) room.rebuildShadow();
        room.startTimers();
        deps.hooks.emit('onRoomLoaded', {
          room: id,
          org,
          durationMs: performance.now() - t0,
          seq: room.lastSeq,
        });
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
      if (this.opsSinceSnapshot > 0) void this.compact();
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
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, YMessageType.SYNC);
    syncProtocol.writeSyncStep1(enc, this.doc);
    client.send(encoding.toUint8Array(enc));
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

  /** Answers a client's sync step 1 (its state vector) with the missing state (step 2). */
  syncStep2For(stateVector: Uint8Array): Uint8Array {
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, YMessageType.SYNC);
    syncProtocol.writeSyncStep2(enc, this.doc, stateVector);
    return encoding.toUint8Array(enc);
  }

  /**
   * Submits a client update (sync step 2 or update). Resolves once it has been
   * persisted, applied and broadcast, or refused. The caller must have
   * validated nothing: this method validates before persisting.
   */
  submitUpdate(client: RoomClient, update: Uint8Array, parent?: Context): Promise<UpdateResult> {
    const received = performance.now();
    if (this.state !== 'open') return Promise.resolve('closed');
    const check = inspectUpdate(update);
    if (!check.ok) {
      client.close(CloseCode.INVALID_UPDATE, 'invalid Yjs update');
      this.deps.hooks.emit('onError', {
        org: this.org,
        room: this.id,
        code: CloseCode.INVALID_UPDATE,
        reason: 'invalid update',
      });
      return Promise.resolve('invalid');
    }
    if (check.empty) return Promise.resolve('empty');
    if (!this.validateOnShadow(update)) {
      client.close(CloseCode.INVALID_UPDATE, 'invalid Yjs update: cannot be applied');
      this.deps.hooks.emit('onError', {
        org: this.org,
        room: this.id,
        code: CloseCode.INVALID_UPDATE,
        reason: 'update cannot be applied',
      });
      return Promise.resolve('invalid');
    }
    this.lastActivity = Date.now();
    const ctx = parent ?? otelContext.active();
    const span = tracer.startSpan(
      'update',
      { attributes: { org: this.org, 'room.id': this.id, 'collab.bytes': update.byteLength } },
      ctx
    );
    const spanCtx = trace.setSpan(ctx, span);
    const persistSpan = childSpan(span, 'update.persist', spanCtx, {
      'collab.backend': this.deps.storage.kind,
    });
    const ts = Date.now();
    this.pendingDurable += 1;
    // Issue the append now (joins this tick's group commit); consume it in order below.
    const durable = this.deps.storage.append(this.id, [{ clientId: check.clientId, ts, update }]).then(
      (seqs) => ({ ok: true as const, seq: seqs[0] ?? 0 }),
      (err: unknown) => {
        // Refused (e.g. PostgreSQL down and the hold bound reached): tell the writer now rather than
        // after the held updates queued ahead of it (it was never applied nor broadcast).
        client.close(CloseCode.STORAGE_UNAVAILABLE, 'storage unavailable');
        return { ok: false as const, err };
      }
    );
    const run = async (): Promise<UpdateResult> => {
      const res = await durable;
      this.pendingDurable -= 1;
      const persistMs = performance.now() - received;
      if (!res.ok) {
        // The shadow already has this update; resync it from the doc before the next validation.
        this.shadowDirty = true;
        persistSpan.recordException(res.err as Error);
        persistSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'storage write failed' });
        persistSpan.end();
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'storage unavailable' });
        span.end();
        this.deps.logger.error(
          { room: this.id, err: (res.err as Error)?.message ?? String(res.err) },
          'storage write failed; update refused'
        );
        client.close(CloseCode.STORAGE_UNAVAILABLE, 'storage unavailable');
        this.deps.hooks.emit('onError', {
          org: this.org,
          room: this.id,
          code: CloseCode.STORAGE_UNAVAILABLE,
          reason: 'storage write failed',
        });
        return 'storage-failed';
      }
      const traceId = sampledTraceId(persistSpan);
      persistSpan.setAttribute('collab.seq', res.seq);
      persistSpan.end();
      this.deps.hooks.emit('onPersist', {
        orgs: [this.org],
        backend: this.deps.storage.kind,
        count: 1,
        bytes: update.byteLength,
        durationMs: persistMs,
        ...(traceId !== undefined ? { traceId } : {}),
      });
      if (this.state === 'closed') {
        // Durable but the doc is gone (shutdown raced us): it will be loaded next time.
        span.end();
        return 'closed';
      }
      const applySpan = childSpan(span, 'update.apply', spanCtx);
      try {
        Y.applyUpdate(this.doc, update, client);
      } catch (err) {
        // Validated on the shadow, so this should not happen. It is durable (load skips it), but it is
        // not broadcast: the sender is refused and the others never see it.
        applySpan.recordException(err as Error);
        applySpan.setStatus({ code: SpanStatusCode.ERROR });
        applySpan.end();
        span.end();
        this.shadowDirty = true;
        this.deps.logger.error({ room: this.id, seq: res.seq }, 'durable update failed to apply');
        client.close(CloseCode.INVALID_UPDATE, 'invalid Yjs update: cannot be applied');
        this.deps.hooks.emit('onError', {
          org: this.org,
          room: this.id,
          code: CloseCode.INVALID_UPDATE,
          reason: 'durable update failed to apply',
        });
        this.lastSeq = Math.max(this.lastSeq, res.seq);
        return 'invalid';
      }
      applySpan.end();
      this.lastSeq = Math.max(this.lastSeq, res.seq);
      this.lastTs = Math.max(this.lastTs, ts);
      this.ops += 1;
      this.opsSinceSnapshot += 1;
      this.bytesSinceSnapshot += update.byteLength;
      const bcast = childSpan(span, 'update.broadcast', spanCtx);
      const recipients = this.broadcast(encodeSyncUpdate(update), client);
      bcast.setAttribute('collab.recipients', recipients);
      bcast.end();
      span.setAttribute('collab.seq', res.seq);
      span.end();
      this.deps.hooks.emit('onUpdate', {
        room: this.id,
        org: this.org,
        connId: client.id,
        origin: 'client',
        clientId: check.clientId,
        update,
        seq: res.seq,
        ts,
        durationMs: performance.now() - received,
      });
      if (this.shadowLagging && this.pendingDurable === 0) this.shadowDirty = true;
      if (this.opsSinceSnapshot >= this.deps.options.compactOps) void this.compact();
      return 'applied';
    };
    const result = this.chain.then(run);
    this.chain = result.then(
      () => undefined,
      () => undefined
    );
    return result;
  }

  /** Applies `update` to the shadow doc; false (and the shadow is rebuilt) when it throws. */
  private validateOnShadow(update: Uint8Array): boolean {
    if (this.deps.options.shadowValidation === false) return true;
    if (!this.shadow || this.shadowDirty) this.rebuildShadow();
    try {
      Y.applyUpdate(this.shadow as Y.Doc, update);
      return true;
    } catch {
      // A throwing apply may leave a partial integration behind: start again from the doc.
      this.shadowDirty = true;
      return false;
    }
  }

  /** Rebuilds the shadow from the doc (load, or after a refused / failed update). */
  private rebuildShadow(): void {
    this.shadow?.destroy();
    const shadow = new Y.Doc({ gc: true });
    Y.applyUpdate(shadow, Y.encodeStateAsUpdate(this.doc));
    this.shadow = shadow;
    this.shadowDirty = false;
    this.shadowLagging = this.pendingDurable > 0;
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
      this.shadowDirty = true;
      return false;
    }
    if (this.shadow && !this.shadowDirty) {
      try {
        Y.applyUpdate(this.shadow, update);
      } catch {
        this.shadowDirty = true;
      }
    }
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
   * Entries for a client id another local connection controls are ignored: a stock y-websocket client
   * echoes every awareness change it receives (same clock, a no-op) and propagates its own timeouts of
   * other clients' states, so such entries are normal and must not close it — but no connection may
   * set or remove another's presence. Entries that would change nothing (clock not newer, or the
   * removal of a state that is not there) are dropped as well, so they are not broadcast.
   */
  applyAwareness(client: RoomClient, update: Uint8Array, parent?: Context): void {
    const span = tracer.startSpan(
      'awareness',
      { attributes: { org: this.org, 'room.id': this.id, 'collab.bytes': update.byteLength } },
      parent ?? otelContext.active()
    );
    try {
      const decoded = decodeAwarenessUpdate(update);
      const entries = this.screenAwareness(client, decoded);
      if (entries.length === 0) return;
      // Nothing screened out (the usual case): apply the bytes as received instead of re-encoding them.
      const kept = entries.length === decoded.length ? update : encodeAwarenessEntries(entries);
      awarenessProtocol.applyAwarenessUpdate(this.awareness, kept, client);
    } finally {
      span.end();
    }
  }

  /** The entries of a client's awareness update that it may apply (see `applyAwareness`). */
  private screenAwareness(client: RoomClient, entries: AwarenessEntry[]): AwarenessEntry[] {
    const claims = this.awarenessClaims.get(client);
    if (!claims) return [];
    const maxClients = this.deps.options.awarenessMaxClients ?? DEFAULT_AWARENESS_MAX_CLIENTS;
    const maxBytes = this.deps.options.awarenessMaxStateBytes ?? DEFAULT_AWARENESS_MAX_STATE_BYTES;
    const keep: AwarenessEntry[] = [];
    for (const e of entries) {
      const owner = this.awarenessOwners.get(e.id);
      if (owner !== undefined && owner !== client) continue;
      const has = this.awareness.states.has(e.id);
      const clock = this.awareness.meta.get(e.id)?.clock ?? 0;
      // y-protocols applies an entry only when its clock is newer (or equal, for a removal).
      if (!(clock < e.clock || (clock === e.clock && e.state === null && has))) continue;
      if (e.state === null) {
        if (has) keep.push(e);
        continue;
      }
      if (e.json.byteLength > maxBytes) {
        throw new AwarenessLimitError(`awareness state larger than ${maxBytes} bytes`);
      }
      if (!claims.has(e.id)) {
        if (claims.size >= maxClients) {
          throw new AwarenessLimitError(`more than ${maxClients} awareness clients on one connection`);
        }
        claims.add(e.id);
      }
      keep.push(e);
    }
    return keep;
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
    if (this.opsSinceSnapshot === 0 || this.lastSeq <= this.snapshotSeq) return Promise.resolve();
    const run = tracer.startActiveSpan(
      'compaction',
      { attributes: { org: this.org, 'room.id': this.id } },
      async (span) => {
        const t0 = performance.now();
        // Cross-pod: one compaction owner per room, and the claimed seq is capped at what this pod applied.
        const grant = await this.deps.hooks.acquireCompaction(this.id, this.lastSeq);
        const seq = grant ? Math.min(this.lastSeq, grant.seq) : this.lastSeq;
        if (grant === null || seq <= this.snapshotSeq) {
          span.setAttribute('collab.skipped', true);
          span.end();
          await grant?.release();
          return;
        }
        const ts = this.lastTs;
        const ops = this.opsSinceSnapshot;
        const bytes = this.bytesSinceSnapshot;
        try {
          const state = Y.encodeStateAsUpdate(this.doc);
          span.setAttributes({ 'collab.seq': seq, 'collab.bytes': state.byteLength, 'collab.ops': ops });
          await this.deps.storage.saveSnapshot(this.id, { seq, ts, state });
          this.snapshotSeq = seq;
          this.snapshotBytes = state.byteLength;
          this.opsSinceSnapshot = Math.max(0, this.opsSinceSnapshot - ops);
          this.bytesSinceSnapshot = Math.max(0, this.bytesSinceSnapshot - bytes);
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
    return this.chain;
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
    this.shadow?.destroy();
    this.shadow = null;
    this.awareness.off('update', this.onAwarenessUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }

  stats(): RoomRuntimeStats {
    return {
      room: this.id,
      org: this.org,
      connections: this.connections.size,
      docBytes: this.snapshotBytes + this.bytesSinceSnapshot,
      ops: this.ops,
      pendingDurable: this.pendingDurable,
      pendingCompaction: this.opsSinceSnapshot,
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
    return this.lastSeq;
  }
}
