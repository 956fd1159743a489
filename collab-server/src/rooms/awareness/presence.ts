/**
 * A room's presence: the awareness states of its connections, who may set or remove each client id
 * (`owners.ts`), and the per-connection awareness limits. The room hands it every awareness update —
 * from a local connection (`apply`) or forwarded by another pod (`applyRemote`) — and it screens,
 * applies, broadcasts and reports them (`onAwareness`, `onPresenceRefused`).
 */
import { context as otelContext, type Context } from '@opentelemetry/api';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { HookBus } from '../../hooks/index.js';
import { tracer } from '../../observability/tracer.js';
import { encodeAwareness } from '../frames.js';
import type { RoomClient, RoomState } from '../types.js';
import { decodeAwarenessUpdate, encodeAwarenessEntries, type AwarenessEntry } from './codec.js';
import { PresenceOwners, type Claimant, type PresenceClaim } from './owners.js';

export const DEFAULT_AWARENESS_MAX_CLIENTS = 8;
export const DEFAULT_AWARENESS_MAX_STATE_BYTES = 16 * 1024;

/** An awareness update over a per-connection limit: the transport closes with RATE_LIMITED (4413). */
export class AwarenessLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwarenessLimitError';
  }
}

/** The presence options of a room (part of `RoomOptions`). */
export interface PresenceOptions {
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
}

/** What presence needs from its room. */
export interface PresenceHost {
  readonly id: string;
  readonly org: string;
  readonly awareness: awarenessProtocol.Awareness;
  /** Local connections → the awareness client ids each one controls (kept up to date here). */
  readonly connections: Map<RoomClient, Set<number>>;
  readonly hooks: HookBus;
  readonly options: PresenceOptions;
  state(): RoomState;
  /** Sends a frame to every local connection except `except`. */
  broadcast(frame: Uint8Array, except: RoomClient | null): number;
  /** Marks the room active (idle unload). */
  touch(): void;
}

/** Two decoded awareness states are the same JSON value. */
function sameState(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class RoomPresence {
  /** Awareness client id → the local connection that controls it (reverse of `host.connections`). */
  private readonly awarenessOwners = new Map<number, RoomClient>();
  /** Who may set or remove each awareness client id: local and other pods' connections. */
  private readonly owners: PresenceOwners;
  /** Distinct awareness client ids each local connection ever set a state for (bounded per connection). */
  private readonly awarenessClaims = new Map<RoomClient, Set<number>>();

  constructor(private readonly host: PresenceHost) {
    this.owners = new PresenceOwners(host.options.presenceReserveMs);
    // The pod itself has no presence.
    host.awareness.setLocalState(null);
    host.awareness.on('update', this.onAwarenessUpdate);
  }

  /** A connection joined the room (registered in `host.connections` by the room). */
  join(client: RoomClient): void {
    this.awarenessClaims.set(client, new Set());
  }

  /** A connection left (already gone from `host.connections`): its states go, broadcast to the others. */
  leave(client: RoomClient, ids: Set<number>): void {
    this.awarenessClaims.delete(client);
    if (ids.size > 0 && this.host.state() !== 'closed') {
      awarenessProtocol.removeAwarenessStates(this.host.awareness, [...ids], null);
    }
    for (const id of ids) if (this.awarenessOwners.get(id) === client) this.awarenessOwners.delete(id);
  }

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
  apply(client: RoomClient, update: Uint8Array, parent?: Context): void {
    const span = tracer.startSpan(
      'awareness',
      { attributes: { org: this.host.org, 'room.id': this.host.id, 'collab.bytes': update.byteLength } },
      parent ?? otelContext.active()
    );
    try {
      const decoded = decodeAwarenessUpdate(update);
      const { keep, rewritten } = this.screen(client, decoded);
      if (keep.length === 0) return;
      // Nothing screened out or re-stamped (the usual case): apply the bytes as received.
      const kept = keep.length === decoded.length && !rewritten ? update : encodeAwarenessEntries(keep);
      awarenessProtocol.applyAwarenessUpdate(this.host.awareness, kept, client);
    } finally {
      span.end();
    }
  }

  /** How a local connection is named as an awareness owner. */
  private claimantOf(client: RoomClient): Claimant {
    const owner = `${this.host.options.podName ?? 'pod'}/${client.id}`;
    return { owner, principal: client.info?.userPseudonym ?? owner, since: Date.now() };
  }

  /** `e` would change the room's awareness if applied (y-protocols' own rule). */
  private wouldChange(e: AwarenessEntry): boolean {
    const clock = this.host.awareness.meta.get(e.id)?.clock ?? 0;
    const has = this.host.awareness.states.has(e.id);
    return clock < e.clock || (clock === e.clock && e.state === null && has);
  }

  /** A foreign entry is dropped; counted (`onPresenceRefused`) when it would have changed something. */
  private refuse(e: AwarenessEntry, source: 'local' | 'remote'): void {
    if (!this.wouldChange(e)) return;
    this.host.hooks.emit('onPresenceRefused', {
      room: this.host.id,
      org: this.host.org,
      kind: e.state === null ? 'remove' : 'set',
      source,
    });
  }

  /** `id` now belongs to `c`: a local connection that held it no longer controls it. */
  private takeOwnership(id: number, c: Claimant): void {
    this.owners.take(id, c);
    const prev = this.awarenessOwners.get(id);
    if (prev !== undefined) {
      this.awarenessOwners.delete(id);
      this.host.connections.get(prev)?.delete(id);
    }
  }

  /** The entries of a client's awareness update that it may apply (see `apply`). */
  private screen(
    client: RoomClient,
    entries: AwarenessEntry[]
  ): { keep: AwarenessEntry[]; rewritten: boolean } {
    const claims = this.awarenessClaims.get(client);
    if (!claims) return { keep: [], rewritten: false };
    const { awareness, options } = this.host;
    const maxClients = options.awarenessMaxClients ?? DEFAULT_AWARENESS_MAX_CLIENTS;
    const maxBytes = options.awarenessMaxStateBytes ?? DEFAULT_AWARENESS_MAX_STATE_BYTES;
    const claimant = this.claimantOf(client);
    const keep: AwarenessEntry[] = [];
    let rewritten = false;
    for (const e of entries) {
      // Only a connection's first id may take over one of its principal's (a reconnecting owner); the
      // states other tabs of the same user echo back must not move.
      const verdict = this.owners.check(e.id, claimant, claims.size === 0);
      if (verdict === 'foreign') {
        this.refuse(e, 'local');
        continue;
      }
      const has = awareness.states.has(e.id);
      const clock = awareness.meta.get(e.id)?.clock ?? 0;
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
  applyRemote(update: Uint8Array, claims: readonly PresenceClaim[], origin: unknown): void {
    const { awareness } = this.host;
    const byId = new Map(claims.map((c) => [c.id, c]));
    const keep: AwarenessEntry[] = [];
    for (const e of decodeAwarenessUpdate(update)) {
      const claim = byId.get(e.id);
      if (!claim) continue;
      const verdict = this.owners.check(e.id, claim);
      if (verdict === 'foreign') {
        this.refuse(e, 'remote');
        continue;
      }
      const has = awareness.states.has(e.id);
      const meta = awareness.meta.get(e.id);
      const clock = meta?.clock ?? 0;
      if (e.state === null) {
        if (verdict === 'own' && has) keep.push({ ...e, clock: Math.max(e.clock, clock) });
        continue;
      }
      if (verdict === 'claim') this.takeOwnership(e.id, claim);
      if (e.clock > clock) {
        keep.push(e);
      } else if (verdict === 'claim' || !has || !sameState(awareness.states.get(e.id), e.state)) {
        keep.push({ ...e, clock: clock + 1 });
      } else if (meta) {
        meta.lastUpdated = Date.now();
      }
    }
    if (keep.length > 0)
      awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(keep), origin);
  }

  /** The claims behind `ids` (the owner, or who held a released id last), for forwarding to other pods. */
  claims(ids: readonly number[]): PresenceClaim[] {
    const out: PresenceClaim[] = [];
    for (const id of ids) {
      const c = this.owners.lastClaim(id);
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
    const { host } = this;
    if (host.state() === 'closed') return;
    const changed = added.concat(updated, removed);
    const owner = host.connections.get(origin as RoomClient);
    if (owner) {
      // Foreign ids were screened out: what a local connection sets is its own.
      for (const id of added.concat(updated)) {
        owner.add(id);
        this.awarenessOwners.set(id, origin as RoomClient);
      }
    }
    for (const id of removed) {
      // The owner's state is gone (removed, its connection left, or timed out): release the claim.
      this.owners.release(id);
      const o = this.awarenessOwners.get(id);
      if (o === undefined) continue;
      this.awarenessOwners.delete(id);
      host.connections.get(o)?.delete(id);
    }
    host.touch();
    host.broadcast(encodeAwareness(host.awareness, changed), null);
    host.hooks.emit('onAwareness', {
      room: host.id,
      org: host.org,
      ...(owner ? { connId: (origin as RoomClient).id } : {}),
      added,
      updated,
      removed,
    });
  };

  /** Encodes every current awareness state (answer to query-awareness), or null when there is none. */
  frame(): Uint8Array | null {
    const ids = [...this.host.awareness.getStates().keys()];
    return ids.length > 0 ? encodeAwareness(this.host.awareness, ids) : null;
  }

  /** Local connections' states only: with cross-pod fan-out each pod counts its own clients once. */
  localCount(): number {
    const states = this.host.awareness.getStates();
    let n = 0;
    for (const ids of this.host.connections.values()) for (const id of ids) if (states.has(id)) n += 1;
    return n;
  }

  /** Stops listening and destroys the awareness (the room is unloading). */
  destroy(): void {
    this.host.awareness.off('update', this.onAwarenessUpdate);
    this.host.awareness.destroy();
  }
}
