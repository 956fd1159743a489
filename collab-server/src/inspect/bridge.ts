/**
 * The inspect bridge: a `CollabExtension` that observes the pod and streams
 * what it sees to authenticated inspect sessions (`/inspect`).
 *
 * Cost model: nothing is done for a room without subscribers except keeping
 * a small per-room map Yjs client → last update time (O(1) per update) for
 * the tree's `lastTime`. With subscribers, the update path only records
 * (O(update)); decoding, tree patches, presence patches and traffic batches
 * are computed later in the event loop (setImmediate / short timers), once
 * per room, serialised once per scope and fanned out to per-session bounded
 * outboxes. Slow sessions lose data (counted, then `resync` + snapshot); they
 * never hold up the pod.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { Registry, RegistryContentType } from 'prom-client';
import {
  CloseCode,
  INSPECT_LIMITS,
  INSPECT_PROTOCOL_VERSION,
  PRESENCE_STATUSES,
  type InspectClientMessage,
  type InspectScope,
  type InspectStream,
  type PresenceStatus,
  type PresenceUser,
  type RoomInfo,
  type TrafficFrame,
  type TreeNode,
  type UpdateSummary,
} from '@collabblocks/protocol';
import type {
  AwarenessEvent,
  CollabExtension,
  ConnectionInfo,
  FrameEvent,
  PodView,
  RoomEvent,
  RoomRuntimeStats,
  UpdateEvent,
} from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { RoomStorageStats, Storage } from '../storage/types.js';
import {
  HistoryError,
  readHistoryPage,
  summarizeStored,
  TreeReplay,
  validateReplayRange,
} from './history.js';
import { GateFullError, WorkGate } from './gate.js';
import { StoredDocs, type StoredDocLease } from './storedDocs.js';
import { createInspectMetrics, type InspectMetrics } from './metrics.js';
import { DEFAULT_OUTBOX } from './outbox.js';
import { InspectSession, type SessionHost, type Subscription } from './session.js';
import { verifyInspectToken, type InspectVerifyResult } from './token.js';
import { TreeTracker, type TreePatch } from './treeTracker.js';
import { stripValue, type LastChange, type WalkContext } from './treeWalk.js';
import { summarizeUpdate } from './updateSummary.js';

/** What the bridge reads from a loaded room (the core's `Room` satisfies it). */
export interface InspectRoom {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly connections?: ReadonlyMap<{ readonly info: ConnectionInfo }, ReadonlySet<number>>;
  stats?(): RoomRuntimeStats;
}

export interface InspectBridgeOptions {
  pod: string;
  secret: Uint8Array;
  storage: Storage;
  rooms: { get(roomId: string): InspectRoom | undefined };
  podView: PodView;
  logger: Logger;
  /** The pod's metrics registry (so `/metrics` shows inspect metrics); own registry otherwise. */
  registry?: Registry<RegistryContentType>;
  /** Authenticated sessions per pod (default 500). */
  maxSessions?: number;
  /** Sockets still authenticating (default 64; each lives at most the 2 s auth timeout). */
  maxUnauthenticated?: number;
  roomsIntervalMs?: number;
  metricsIntervalMs?: number;
  trafficFlushMs?: number;
  presenceFlushMs?: number;
  /**
   * Keep a room's tree cache this long after its last tree subscriber left
   * (reconnects / dashboard refreshes then skip the initial walk); meanwhile
   * only the changed types are recorded. 0 = dispose at once.
   */
  treeGraceMs?: number;
  /** Per-session send queue bounds (defaults: DEFAULT_OUTBOX). */
  queue?: { maxQueuedBytes: number; maxQueuedMessages: number };
  /**
   * Pod-wide: documents rebuilt from storage at once (historyTree, stored
   * state of rooms not loaded here), default 1, and how many more may wait,
   * default 16 (beyond: `rate_limited`, "the pod is busy").
   */
  maxConcurrentRebuilds?: number;
  maxQueuedRebuilds?: number;
  /** How long the stored state of a room not loaded here is reused (default 5 s). */
  storedDocTtlMs?: number;
  /**
   * Largest `history` page (JSON of its entries; default 1 MiB, at most a quarter of the
   * send queue's byte bound): a page holding more ends early, its `nextAfterSeq` continues.
   */
  maxReplyBytes?: number;
}

const TRAFFIC_ROWS_PER_FLUSH = 200;
/** First snapshot chunk is small so the first nodes arrive fast. */
const FIRST_CHUNK_NODES = 500;
/**
 * Minimum spacing of tree patches / update batches per room: 4 ms per
 * subscriber, at most 25 ms — one inspector gets fresh data, many inspectors
 * get larger, fewer messages (bounded send rate per room).
 */
function flushSpacingMs(subscribers: number): number {
  return Math.min(25, 4 * Math.max(1, subscribers));
}
const MAX_CLIENT_TIMES = 2_000;
const MAX_PENDING_UPDATES = 2_000;
const STORAGE_STATS_TTL_MS = 5_000;
const STATE_STREAMS: ReadonlySet<InspectStream> = new Set(['rooms', 'presence', 'tree']);

type Streams = Record<InspectStream, Set<Subscription>>;

const STATUSES: ReadonlySet<string> = new Set(PRESENCE_STATUSES);

/** The status metadata scope may carry: one of PRESENCE_STATUSES; any other client text is `unknown`. */
function presenceStatus(raw: string): PresenceStatus {
  const s = raw.trim().toLowerCase();
  return STATUSES.has(s) ? (s as PresenceStatus) : 'unknown';
}

class RoomWatch {
  readonly subs: Streams = {
    rooms: new Set(),
    presence: new Set(),
    tree: new Set(),
    updates: new Set(),
    traffic: new Set(),
    metrics: new Set(),
  };
  tracker: TreeTracker | null = null;
  trackerDoc: Y.Doc | null = null;
  /** Disposes a paused tree cache after the grace period. */
  trackerIdle: NodeJS.Timeout | null = null;
  readonly lastChange = new WeakMap<Y.AbstractType<unknown>, LastChange>();
  // metrics
  ops = 0;
  bytesIn = 0;
  bytesOut = 0;
  framesIn = 0;
  framesOut = 0;
  lastTick = Date.now();
  // traffic
  traffic: TrafficFrame[] = [];
  trafficAgg = new Map<string, TrafficFrame>();
  trafficDropped = 0;
  trafficTimer: NodeJS.Timeout | null = null;
  // updates
  pendingUpdates: Array<{ ev: UpdateEvent; at: number }> = [];
  updatesScheduled = false;
  updatesDropped = 0;
  lastUpdatesFlush = 0;
  // presence
  joined = new Set<number>();
  updated = new Set<number>();
  left = new Set<number>();
  presenceTimer: NodeJS.Timeout | null = null;
  presenceCounts = new Map<number, number>();
  awarenessConn = new Map<number, string>();

  constructor(
    readonly room: string,
    readonly org: string
  ) {}

  get empty(): boolean {
    for (const s of Object.values(this.subs)) if (s.size > 0) return false;
    return true;
  }
}

/** The longest prefix of `entries` whose JSON fits in `bytes` (at least one entry). */
function fitEntries(entries: UpdateSummary[], bytes: number): UpdateSummary[] {
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    size += JSON.stringify(entries[i]).length + 1;
    if (size > bytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

/** Serialises a stream message once; the subscription id is spliced in per subscriber. */
function subFrame(type: string, subId: string, body: object | string): string {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  const head = `{"v":${INSPECT_PROTOCOL_VERSION},"type":${JSON.stringify(type)},"sub":${JSON.stringify(subId)}`;
  return json.length > 2 ? `${head},${json.slice(1)}` : `${head}}`;
}

/** Lazily computes one body per scope. */
class PerScope<T extends object> {
  private json: { content?: string; metadata?: string } = {};
  constructor(
    private readonly type: string,
    private readonly make: (scope: InspectScope) => T
  ) {}
  frame(sub: Subscription): string {
    const scope = sub.session.scope;
    let body = this.json[scope];
    if (body === undefined) {
      body = JSON.stringify(this.make(scope));
      this.json[scope] = body;
    }
    const head = `{"v":${INSPECT_PROTOCOL_VERSION},"type":${JSON.stringify(this.type)},"sub":${JSON.stringify(sub.id)}`;
    return body.length > 2 ? `${head},${body.slice(1)}` : `${head}}`;
  }
}

export class InspectBridge implements SessionHost {
  readonly pod: string;
  readonly queueLimits: { maxQueuedBytes: number; maxQueuedMessages: number } | undefined;
  readonly metrics: InspectMetrics;
  readonly extension: CollabExtension;
  private readonly watches = new Map<string, RoomWatch>();
  private readonly sessions = new Set<InspectSession>();
  /** Sessions past their first auth (the `maxSessions` cap); the others are authenticating. */
  private readonly admitted = new Set<InspectSession>();
  private readonly roomsSubs = new Map<string, Set<Subscription>>();
  /** Yjs client → last update time, per loaded room (always on, O(1) per update). */
  private readonly clientTimes = new Map<string, Map<number, number>>();
  private readonly connPseudonyms = new Map<string, string>();
  private readonly wss: WebSocketServer;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pseudonymKey: Buffer;
  private storageStats: { at: number; value: Promise<RoomStorageStats[]> } | null = null;
  private roomsDirty = new Set<string>();
  private roomsDirtyTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Pod-wide cap on documents rebuilt from storage (synchronous applyUpdate + tree walk). */
  readonly rebuilds: WorkGate;
  /** Stored state of rooms not loaded here, kept briefly (tree subscribe floods, history pages). */
  readonly stored: StoredDocs;
  private readonly replyBytes: number;

  constructor(private readonly opts: InspectBridgeOptions) {
    this.pod = opts.pod;
    this.queueLimits = opts.queue;
    this.metrics = createInspectMetrics(opts.registry);
    this.pseudonymKey = createHmac('sha256', Buffer.from(opts.secret)).update('inspect-pseudonyms').digest();
    this.wss = new WebSocketServer({ noServer: true, maxPayload: INSPECT_LIMITS.maxClientMessageBytes });
    this.extension = this.createExtension();
    this.rebuilds = new WorkGate(
      opts.maxConcurrentRebuilds ?? 1,
      opts.maxQueuedRebuilds ?? 16,
      'history rebuilds'
    );
    this.replyBytes = Math.min(
      opts.maxReplyBytes ?? 1 << 20,
      (opts.queue?.maxQueuedBytes ?? DEFAULT_OUTBOX.maxQueuedBytes) / 4
    );
    this.stored = new StoredDocs(opts.storage, {
      ...(opts.storedDocTtlMs !== undefined ? { ttlMs: opts.storedDocTtlMs } : {}),
      gate: (fn) => this.rebuilds.run(fn),
    });
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          opts.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'inspect timer failed');
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(opts.metricsIntervalMs ?? 1_000, () => this.tickMetrics());
    every(opts.roomsIntervalMs ?? 5_000, () => {
      for (const org of this.roomsSubs.keys()) void this.sendRooms(org);
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  // ---------------------------------------------------------------- transport

  /** Upgrade handler for `/inspect`. The token must come in the first frame, never in the URL. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.closed) {
        ws.close(CloseCode.GOING_AWAY, 'pod shutting down');
        return;
      }
      const query = (req.url ?? '').split('?')[1] ?? '';
      if (/(^|&)(token|access_token)=/i.test(query)) {
        ws.close(CloseCode.AUTH_INVALID, 'token in the URL is refused; send it in the first frame');
        return;
      }
      // Sockets still authenticating have their own small cap (they live at most the 2 s auth
      // timeout), so idle sockets cannot lock inspectors out of the session cap.
      if (this.sessions.size - this.admitted.size >= (this.opts.maxUnauthenticated ?? 64)) {
        ws.close(CloseCode.RATE_LIMITED, 'too many unauthenticated inspect sockets on this pod');
        return;
      }
      const session = new InspectSession(ws, this);
      this.sessions.add(session);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of [...this.sessions]) s.close(CloseCode.GOING_AWAY, 'pod shutting down');
    for (const w of this.watches.values()) this.disposeWatch(w);
    this.watches.clear();
    this.stored.close();
    if (this.roomsDirtyTimer) clearTimeout(this.roomsDirtyTimer);
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  // ------------------------------------------------------------ SessionHost

  verify(token: string): Promise<InspectVerifyResult> {
    return verifyInspectToken(this.opts.secret, token);
  }

  sessionAuthenticated(session: InspectSession): boolean {
    // The session cap counts authenticated sessions only.
    if (this.closed || this.admitted.size >= (this.opts.maxSessions ?? 500)) return false;
    this.admitted.add(session);
    if (session.org) this.metrics.sessions.inc({ org: session.org });
    return true;
  }

  sessionClosed(session: InspectSession): void {
    this.sessions.delete(session);
    if (this.admitted.delete(session) && session.org) this.metrics.sessions.dec({ org: session.org });
  }

  countDrop(org: string, stream: string, n: number): void {
    this.metrics.dropped.inc({ org, stream }, n);
  }

  subscribe(sub: Subscription): void {
    const org = sub.session.org as string;
    if (sub.stream === 'rooms') {
      let set = this.roomsSubs.get(org);
      if (!set) {
        set = new Set();
        this.roomsSubs.set(org, set);
      }
      set.add(sub);
      void this.sendRooms(org, sub);
      return;
    }
    const room = sub.room as string;
    let w = this.watches.get(room);
    if (!w) {
      w = new RoomWatch(room, org);
      this.watches.set(room, w);
    }
    w.subs[sub.stream].add(sub);
    if (w.tracker) w.tracker.minFlushIntervalMs = flushSpacingMs(w.subs.tree.size);
    if (sub.stream === 'tree') this.startTreeSnapshot(w, sub);
    else if (sub.stream === 'presence') this.sendPresenceSnapshot(w, sub);
    else if (sub.stream === 'metrics') w.lastTick = Date.now();
  }

  unsubscribe(sub: Subscription): void {
    sub.closed = true;
    if (sub.stream === 'rooms') {
      const org = sub.session.org as string;
      const set = this.roomsSubs.get(org);
      set?.delete(sub);
      if (set && set.size === 0) this.roomsSubs.delete(org);
      return;
    }
    const w = this.watches.get(sub.room as string);
    if (!w) return;
    w.subs[sub.stream].delete(sub);
    if (w.tracker) w.tracker.minFlushIntervalMs = flushSpacingMs(w.subs.tree.size);
    if (w.subs.tree.size === 0 && w.tracker && !w.trackerIdle) {
      const grace = this.opts.treeGraceMs ?? 15_000;
      if (grace > 0 && !this.closed) {
        w.tracker.pause();
        w.trackerIdle = setTimeout(() => {
          w.trackerIdle = null;
          if (w.subs.tree.size > 0) return;
          w.tracker?.close();
          w.tracker = null;
          w.trackerDoc = null;
          this.maybeDispose(w);
        }, grace);
        w.trackerIdle.unref();
      } else {
        w.tracker.close();
        w.tracker = null;
        w.trackerDoc = null;
      }
    }
    this.maybeDispose(w);
  }

  private maybeDispose(w: RoomWatch): void {
    if (w.empty && !w.trackerIdle && this.watches.get(w.room) === w) {
      this.disposeWatch(w);
      this.watches.delete(w.room);
    }
  }

  resync(sub: Subscription, dropped: number): void {
    if (sub.closed) return;
    const msg = subFrame('resync', sub.id, {
      stream: sub.stream,
      ...(sub.room !== undefined ? { room: sub.room } : {}),
      dropped,
      reason: 'backpressure',
    });
    sub.session.outbox.push(msg, sub.id);
    this.resnapshot(sub);
  }

  private resnapshot(sub: Subscription): void {
    if (!STATE_STREAMS.has(sub.stream) || sub.closed) return;
    if (sub.stream === 'rooms') {
      void this.sendRooms(sub.session.org as string, sub);
      return;
    }
    const w = this.watches.get(sub.room as string);
    if (!w) return;
    if (sub.stream === 'tree') this.startTreeSnapshot(w, sub);
    else this.sendPresenceSnapshot(w, sub);
  }

  // ---------------------------------------------------------------- hooks

  private createExtension(): CollabExtension {
    return {
      name: 'inspect',
      wantsFrames: (room) => {
        const w = this.watches.get(room);
        return w !== undefined && (w.subs.traffic.size > 0 || w.subs.metrics.size > 0);
      },
      onFrame: (ev) => this.onFrame(ev),
      onUpdate: (ev) => this.onUpdate(ev),
      onAwareness: (ev) => this.onAwareness(ev),
      onConnect: (c) => this.markRoomsDirty(c.org),
      onDisconnect: (ev) => {
        this.connPseudonyms.delete(ev.conn.id);
        this.markRoomsDirty(ev.conn.org);
      },
      onRoomLoaded: (ev) => this.onRoomLoaded(ev),
      onRoomUnloaded: (ev) => this.onRoomUnloaded(ev),
    };
  }

  private onUpdate(ev: UpdateEvent): void {
    let times = this.clientTimes.get(ev.room);
    if (!times) {
      times = new Map();
      this.clientTimes.set(ev.room, times);
    }
    times.delete(ev.clientId);
    times.set(ev.clientId, ev.ts);
    if (times.size > MAX_CLIENT_TIMES) times.delete(times.keys().next().value as number);
    const w = this.watches.get(ev.room);
    if (!w) return;
    w.ops++;
    // Tree subscribers of a room that was not loaded when they subscribed.
    if (w.subs.tree.size > 0 && !w.tracker) this.reload(w);
    if (w.subs.updates.size === 0) return;
    if (w.pendingUpdates.length >= MAX_PENDING_UPDATES) {
      w.updatesDropped++;
      this.countDrop(w.org, 'updates', w.subs.updates.size);
      return;
    }
    const at = performance.now();
    w.pendingUpdates.push({ ev, at });
    if (!w.updatesScheduled) {
      w.updatesScheduled = true;
      const wait = flushSpacingMs(w.subs.updates.size) - (at - w.lastUpdatesFlush);
      if (wait > 0) setTimeout(() => this.flushUpdates(w), wait);
      else setImmediate(() => this.flushUpdates(w));
    }
  }

  private onAwareness(ev: AwarenessEvent): void {
    const w = this.watches.get(ev.room);
    if (!w || w.subs.presence.size === 0) return;
    for (const id of ev.added) {
      w.left.delete(id);
      w.joined.add(id);
    }
    for (const id of ev.updated) if (!w.joined.has(id)) w.updated.add(id);
    for (const id of ev.removed) {
      w.joined.delete(id);
      w.updated.delete(id);
      w.left.add(id);
    }
    for (const id of ev.added.concat(ev.updated)) {
      w.presenceCounts.set(id, (w.presenceCounts.get(id) ?? 0) + 1);
      if (ev.connId !== undefined) w.awarenessConn.set(id, ev.connId);
    }
    if (!w.presenceTimer) {
      w.presenceTimer = setTimeout(() => {
        w.presenceTimer = null;
        this.flushPresence(w);
      }, this.opts.presenceFlushMs ?? 30);
    }
  }

  private onFrame(ev: FrameEvent): void {
    const w = this.watches.get(ev.room);
    if (!w) return;
    if (ev.direction === 'in') {
      w.bytesIn += ev.bytes;
      w.framesIn++;
    } else {
      w.bytesOut += ev.bytes;
      w.framesOut++;
    }
    if (w.subs.traffic.size === 0) return;
    const conn = this.connPseudonym(ev.connId);
    if (w.traffic.length < TRAFFIC_ROWS_PER_FLUSH) {
      w.traffic.push({
        ts: ev.ts,
        direction: ev.direction,
        conn,
        kind: ev.kind,
        bytes: ev.bytes,
        summary: `${ev.direction === 'in' ? 'client → pod' : 'pod → client'} ${ev.kind} ${ev.bytes} B`,
      });
    } else {
      // Coalesce: one row per conn/direction/kind carries the count and the bytes.
      const key = `${conn}|${ev.direction}|${ev.kind}`;
      const agg = w.trafficAgg.get(key);
      if (agg) {
        agg.count = (agg.count ?? 0) + 1;
        agg.bytes += ev.bytes;
        agg.ts = ev.ts;
        agg.summary = `${agg.count} × ${ev.kind} (coalesced)`;
      } else {
        w.trafficAgg.set(key, {
          ts: ev.ts,
          direction: ev.direction,
          conn,
          kind: ev.kind,
          bytes: ev.bytes,
          count: 1,
          summary: `1 × ${ev.kind} (coalesced)`,
        });
      }
      w.trafficDropped++;
    }
    if (!w.trafficTimer) {
      w.trafficTimer = setTimeout(() => {
        w.trafficTimer = null;
        this.flushTraffic(w);
      }, this.opts.trafficFlushMs ?? 100);
    }
  }

  private onRoomLoaded(ev: RoomEvent): void {
    this.markRoomsDirty(ev.org);
    this.stored.invalidate(ev.room);
    // The core emits onRoomLoaded once the room is registered: it can be looked up now.
    const w = this.watches.get(ev.room);
    if (w && !w.tracker) this.reload(w);
  }

  /** The room (re)appeared on this pod: fresh snapshots for the state streams. */
  private reload(w: RoomWatch): void {
    if (!this.opts.rooms.get(w.room)) return;
    for (const sub of [...w.subs.tree, ...w.subs.presence]) {
      sub.session.outbox.push(
        subFrame('resync', sub.id, { stream: sub.stream, room: w.room, dropped: 0, reason: 'reload' }),
        sub.id
      );
      this.resnapshot(sub);
    }
  }

  private onRoomUnloaded(ev: RoomEvent): void {
    this.markRoomsDirty(ev.org);
    this.stored.invalidate(ev.room);
    this.clientTimes.delete(ev.room);
    const w = this.watches.get(ev.room);
    if (w?.tracker) {
      w.tracker.close();
      w.tracker = null;
      w.trackerDoc = null;
    }
    if (w?.trackerIdle) {
      clearTimeout(w.trackerIdle);
      w.trackerIdle = null;
      this.maybeDispose(w);
    }
  }

  // ---------------------------------------------------------------- helpers

  private disposeWatch(w: RoomWatch): void {
    w.tracker?.close();
    w.tracker = null;
    if (w.trackerIdle) clearTimeout(w.trackerIdle);
    w.trackerIdle = null;
    if (w.trafficTimer) clearTimeout(w.trafficTimer);
    if (w.presenceTimer) clearTimeout(w.presenceTimer);
    w.trafficTimer = null;
    w.presenceTimer = null;
  }

  private connPseudonym(connId: string): string {
    let p = this.connPseudonyms.get(connId);
    if (p === undefined) {
      p = 'c_' + createHmac('sha256', this.pseudonymKey).update(connId).digest('base64url').slice(0, 8);
      if (this.connPseudonyms.size > 50_000) this.connPseudonyms.clear();
      this.connPseudonyms.set(connId, p);
    }
    return p;
  }

  private clientPseudonym(org: string, clientId: number): string {
    return (
      'a_' +
      createHmac('sha256', this.pseudonymKey).update(`${org}:${clientId}`).digest('base64url').slice(0, 10)
    );
  }

  private walkContext(w: RoomWatch): WalkContext {
    const times = (): Map<number, number> | undefined => this.clientTimes.get(w.room);
    return { clientTime: (c) => times()?.get(c), lastChange: w.lastChange };
  }

  /** connId → connection info of a loaded room. */
  private connectionsOf(room: InspectRoom | undefined): Map<string, ConnectionInfo> {
    const out = new Map<string, ConnectionInfo>();
    if (room?.connections) for (const c of room.connections.keys()) out.set(c.info.id, c.info);
    return out;
  }

  private ensureTracker(w: RoomWatch, room: InspectRoom): TreeTracker {
    if (w.trackerIdle) {
      clearTimeout(w.trackerIdle);
      w.trackerIdle = null;
    }
    if (w.tracker && w.trackerDoc === room.doc) {
      w.tracker.resume();
      return w.tracker;
    }
    w.tracker?.close();
    w.trackerDoc = room.doc;
    w.tracker = new TreeTracker(room.doc, this.walkContext(w), (patch) => this.onTreePatch(w, patch));
    w.tracker.minFlushIntervalMs = flushSpacingMs(w.subs.tree.size);
    return w.tracker;
  }

  // ---------------------------------------------------------------- tree

  private startTreeSnapshot(w: RoomWatch, sub: Subscription): void {
    const gen = ++sub.generation;
    sub.holding = [];
    const session = sub.session;
    let lease: StoredDocLease | null = null;
    const run = async (): Promise<void> => {
      let tracker: TreeTracker;
      const room = this.opts.rooms.get(w.room);
      if (room) tracker = this.ensureTracker(w, room);
      else {
        // Not loaded on this pod: the stored state (no live patches until it loads),
        // loaded once for a burst of subscribers and walked in time slices like a live doc.
        lease = await this.stored.acquire(w.room);
        if (sub.closed || gen !== sub.generation) return;
        tracker = lease.tracker();
      }
      const order = tracker.buildOrder;
      if (order !== null) {
        await this.streamWhileBuilding(tracker, order, w, sub, gen);
        return;
      }
      await tracker.ready;
      if (sub.closed || gen !== sub.generation) return;
      const nodes = tracker.snapshot();
      if (room) sub.holding = [];
      const total = nodes.length;
      let sent = 0;
      for (let i = 0; sent < total || i === 0; i++) {
        if (!(await session.outbox.waitForRoom())) return;
        if (sub.closed || gen !== sub.generation) return;
        // A small first chunk reaches the client quickly; then full chunks.
        const n = i === 0 ? FIRST_CHUNK_NODES : INSPECT_LIMITS.snapshotChunkNodes;
        const slice = nodes.slice(sent, sent + n);
        sent += slice.length;
        const scope = session.scope;
        session.outbox.push(
          subFrame('treeSnapshot', sub.id, {
            room: w.room,
            ts: Date.now(),
            chunk: i,
            last: sent >= total,
            total,
            nodes: scope === 'content' ? slice : slice.map(stripValue),
          }),
          sub.id
        );
      }
      const held = sub.holding ?? [];
      sub.holding = null;
      for (const d of held) session.outbox.push(d, sub.id);
    };
    run()
      .finally(() => lease?.release())
      .catch((err: unknown) => {
        if (sub.closed) return;
        sub.holding = null;
        if (err instanceof GateFullError) {
          session.error('rate_limited', `tree snapshot refused: ${err.message}`, { sub: sub.id });
          return;
        }
        session.error('storage_error', `tree snapshot failed: ${(err as Error)?.message ?? String(err)}`, {
          sub: sub.id,
        });
      });
  }

  /** First subscriber(s) of a room: chunks are sent as the initial walk produces them. */
  private async streamWhileBuilding(
    tracker: TreeTracker,
    order: readonly TreeNode[],
    w: RoomWatch,
    sub: Subscription,
    gen: number
  ): Promise<void> {
    const session = sub.session;
    const chunkSize = INSPECT_LIMITS.snapshotChunkNodes;
    let sent = 0;
    let chunk = 0;
    for (;;) {
      if (sub.closed || gen !== sub.generation) return;
      const done = !tracker.building;
      const avail = order.length - sent;
      const want = chunk === 0 ? FIRST_CHUNK_NODES : chunkSize;
      if (avail >= want || done) {
        if (!(await session.outbox.waitForRoom())) return;
        if (sub.closed || gen !== sub.generation) return;
        const n = Math.min(order.length - sent, want);
        const nowDone = !tracker.building;
        const slice = order.slice(sent, sent + n);
        sent += n;
        const last = nowDone && sent === order.length;
        const scope = session.scope;
        session.outbox.push(
          subFrame('treeSnapshot', sub.id, {
            room: w.room,
            ts: Date.now(),
            chunk: chunk++,
            last,
            total: order.length,
            nodes: scope === 'content' ? slice : slice.map(stripValue),
          }),
          sub.id
        );
        if (last) break;
        continue;
      }
      await tracker.waitProgress();
    }
    const held = sub.holding ?? [];
    sub.holding = null;
    for (const d of held) session.outbox.push(d, sub.id);
  }

  private onTreePatch(w: RoomWatch, patch: TreePatch): void {
    const body = new PerScope('treePatch', (scope) => ({
      room: w.room,
      ts: patch.ts,
      added: scope === 'content' ? patch.added : patch.added.map(stripValue),
      changed: scope === 'content' ? patch.changed : patch.changed.map(stripValue),
      removed: patch.removed,
      transactions: patch.transactions,
    }));
    for (const sub of w.subs.tree) sub.session.sendSub(sub, body.frame(sub));
    this.metrics.diffLatency.observe(performance.now() - patch.firstTxAt);
  }

  // ---------------------------------------------------------------- updates

  private flushUpdates(w: RoomWatch): void {
    w.updatesScheduled = false;
    w.lastUpdatesFlush = performance.now();
    const pending = w.pendingUpdates;
    w.pendingUpdates = [];
    // Updates that arrived while the room's buffer was full were not summarised.
    const dropped = w.updatesDropped;
    w.updatesDropped = 0;
    if (w.subs.updates.size === 0) return;
    if (pending.length === 0) {
      this.reportDroppedUpdates(w, dropped);
      return;
    }
    const room = this.opts.rooms.get(w.room);
    const conns = this.connectionsOf(room);
    const items: Array<{ content: UpdateSummary; metadata: UpdateSummary }> = [];
    for (const { ev } of pending) {
      let d;
      try {
        d = room ? summarizeUpdate(ev.update, room.doc, true) : null;
      } catch {
        d = null;
      }
      const base: UpdateSummary = {
        ts: ev.ts,
        clientId: ev.clientId,
        origin: ev.origin,
        bytes: ev.update.byteLength,
        inserted: d?.inserted ?? 0,
        deleted: d?.deleted ?? 0,
        paths: d?.paths ?? [],
      };
      if (ev.seq > 0) base.seq = ev.seq;
      if (d?.pathsTruncated) base.pathsTruncated = true;
      if (ev.connId !== undefined) {
        base.conn = this.connPseudonym(ev.connId);
        const info = conns.get(ev.connId);
        if (info) base.user = info.userPseudonym;
      }
      items.push({ content: { ...base, preview: d?.preview ?? [] }, metadata: base });
    }
    const body = new PerScope('updates', (scope) => ({
      room: w.room,
      items: items.map((i) => (scope === 'content' ? i.content : i.metadata)),
    }));
    for (const sub of w.subs.updates) sub.session.sendSub(sub, body.frame(sub));
    // The gap follows this batch: say so, so a client knows its list is incomplete.
    this.reportDroppedUpdates(w, dropped);
    const now = performance.now();
    for (const p of pending) this.metrics.diffLatency.observe(now - p.at);
  }

  /** `resync {stream:'updates', dropped, reason:'backpressure'}` to every updates subscriber of the room. */
  private reportDroppedUpdates(w: RoomWatch, dropped: number): void {
    if (dropped === 0) return;
    for (const sub of w.subs.updates) {
      sub.session.sendSub(
        sub,
        subFrame('resync', sub.id, { stream: 'updates', room: w.room, dropped, reason: 'backpressure' })
      );
    }
  }

  // ---------------------------------------------------------------- presence

  private renderUser(
    org: string,
    clientId: number,
    state: Record<string, unknown>,
    info: ConnectionInfo | undefined,
    lastSeen: number,
    updates: number,
    scope: InspectScope,
    remote: boolean
  ): PresenceUser {
    const cursorRaw = state.cursor as { x?: unknown; y?: unknown } | null | undefined;
    const cursor =
      cursorRaw && typeof cursorRaw.x === 'number' && typeof cursorRaw.y === 'number'
        ? { x: cursorRaw.x, y: cursorRaw.y }
        : null;
    const u: PresenceUser = {
      clientId,
      // Without the connection (a state from another pod) the client pseudonym, which
      // every pod computes alike (keyed by the shared inspect secret).
      user: info?.userPseudonym ?? this.clientPseudonym(org, clientId),
      cursor,
      lastSeen,
      updates,
    };
    if (info) u.conn = this.connPseudonym(info.id);
    if (remote) u.remote = true;
    if (typeof state.status === 'string') {
      // Free text (could be a name or a sentence): only content scope carries it as sent.
      u.status = scope === 'content' ? state.status.slice(0, 32) : presenceStatus(state.status);
    }
    if (scope === 'content') {
      const user = state.user as { name?: unknown; color?: unknown } | undefined;
      const name = typeof user?.name === 'string' ? user.name : info?.displayName;
      if (name !== undefined) u.name = name.slice(0, 100);
      if (typeof user?.color === 'string') u.color = user.color.slice(0, 32);
    }
    return u;
  }

  private presenceUsers(
    w: RoomWatch,
    room: InspectRoom,
    ids: Iterable<number>,
    scope: InspectScope
  ): PresenceUser[] {
    const states = room.awareness.getStates();
    const conns = this.connectionsOf(room);
    const byClient = new Map<number, ConnectionInfo>();
    if (room.connections)
      for (const [c, set] of room.connections) for (const id of set) byClient.set(id, c.info);
    const out: PresenceUser[] = [];
    for (const id of ids) {
      const state = states.get(id);
      if (!state) continue;
      const connId = w.awarenessConn.get(id);
      const info = byClient.get(id) ?? (connId !== undefined ? conns.get(connId) : undefined);
      const lastSeen = room.awareness.meta.get(id)?.lastUpdated ?? Date.now();
      // No local connection controls this state: it came from another pod (when the room
      // tells us its connections at all).
      const remote = room.connections !== undefined && info === undefined && connId === undefined;
      out.push(
        this.renderUser(
          w.org,
          id,
          state as Record<string, unknown>,
          info,
          lastSeen,
          w.presenceCounts.get(id) ?? 0,
          scope,
          remote
        )
      );
    }
    return out;
  }

  private sendPresenceSnapshot(w: RoomWatch, sub: Subscription): void {
    const room = this.opts.rooms.get(w.room);
    const users = room
      ? this.presenceUsers(w, room, room.awareness.getStates().keys(), sub.session.scope)
      : [];
    sub.session.outbox.push(
      subFrame('presenceSnapshot', sub.id, { room: w.room, ts: Date.now(), users }),
      sub.id
    );
  }

  private flushPresence(w: RoomWatch): void {
    const room = this.opts.rooms.get(w.room);
    const joined = [...w.joined];
    const updated = [...w.updated];
    const left = [...w.left];
    w.joined.clear();
    w.updated.clear();
    w.left.clear();
    for (const id of left) {
      w.presenceCounts.delete(id);
      w.awarenessConn.delete(id);
    }
    if (!room || w.subs.presence.size === 0) return;
    const ts = Date.now();
    const body = new PerScope('presencePatch', (scope) => ({
      room: w.room,
      ts,
      joined: this.presenceUsers(w, room, joined, scope),
      updated: this.presenceUsers(w, room, updated, scope),
      left,
    }));
    for (const sub of w.subs.presence) sub.session.sendSub(sub, body.frame(sub));
  }

  // ---------------------------------------------------------------- traffic & metrics

  private flushTraffic(w: RoomWatch): void {
    const frames = w.traffic.concat([...w.trafficAgg.values()]);
    const dropped = w.trafficDropped;
    w.traffic = [];
    w.trafficAgg = new Map();
    w.trafficDropped = 0;
    if (w.subs.traffic.size === 0 || frames.length === 0) return;
    const body = JSON.stringify({ room: w.room, frames, dropped });
    for (const sub of w.subs.traffic) sub.session.sendSub(sub, subFrame('traffic', sub.id, body));
  }

  private tickMetrics(): void {
    const now = Date.now();
    for (const w of this.watches.values()) {
      const intervalMs = Math.max(1, now - w.lastTick);
      if (w.subs.metrics.size > 0) {
        const stats = this.opts.rooms.get(w.room)?.stats?.();
        const body = {
          room: w.room,
          ts: now,
          intervalMs,
          opsPerSec: Math.round((w.ops * 1000 * 100) / intervalMs) / 100,
          connections: stats?.connections ?? 0,
          presence: stats?.presence ?? 0,
          bytesIn: w.bytesIn,
          bytesOut: w.bytesOut,
          framesIn: w.framesIn,
          framesOut: w.framesOut,
          docBytes: stats?.docBytes ?? 0,
        };
        for (const sub of w.subs.metrics) sub.session.sendSub(sub, subFrame('metrics', sub.id, body));
      }
      w.ops = 0;
      w.bytesIn = 0;
      w.bytesOut = 0;
      w.framesIn = 0;
      w.framesOut = 0;
      w.lastTick = now;
    }
  }

  // ---------------------------------------------------------------- rooms

  private markRoomsDirty(org: string): void {
    if (!this.roomsSubs.has(org)) return;
    this.roomsDirty.add(org);
    if (this.roomsDirtyTimer) return;
    this.roomsDirtyTimer = setTimeout(() => {
      this.roomsDirtyTimer = null;
      const orgs = [...this.roomsDirty];
      this.roomsDirty.clear();
      for (const o of orgs) void this.sendRooms(o);
    }, 500);
    this.roomsDirtyTimer.unref();
  }

  private storedStats(): Promise<RoomStorageStats[]> {
    const now = Date.now();
    if (!this.storageStats || now - this.storageStats.at > STORAGE_STATS_TTL_MS) {
      const value = this.opts.storage.stats().catch((err: unknown) => {
        this.opts.logger.warn(
          { err: (err as Error)?.message ?? String(err) },
          'inspect: storage stats failed'
        );
        return [] as RoomStorageStats[];
      });
      this.storageStats = { at: now, value };
    }
    return this.storageStats.value;
  }

  private async sendRooms(org: string, only?: Subscription): Promise<void> {
    const subs = only ? [only] : [...(this.roomsSubs.get(org) ?? [])];
    if (subs.length === 0) return;
    const stored = await this.storedStats();
    const byRoom = new Map<string, RoomInfo>();
    for (const s of stored) {
      if (s.org !== org) continue;
      byRoom.set(s.room, {
        room: s.room,
        org: s.org,
        loaded: false,
        connections: 0,
        presence: 0,
        docBytes: s.bytes,
        ops: s.ops,
        lastActivity: s.lastTs,
        storedBytes: s.bytes,
        lastSeq: s.lastSeq,
      });
    }
    for (const r of this.opts.podView.rooms()) {
      if (r.org !== org) continue;
      const prev = byRoom.get(r.room);
      const info: RoomInfo = {
        room: r.room,
        org: r.org,
        loaded: true,
        connections: r.connections,
        presence: r.presence,
        docBytes: r.docBytes,
        ops: r.ops,
        lastActivity: r.lastActivity,
      };
      if (prev?.storedBytes !== undefined) info.storedBytes = prev.storedBytes;
      if (prev?.lastSeq !== undefined) info.lastSeq = prev.lastSeq;
      byRoom.set(r.room, info);
    }
    const rooms = [...byRoom.values()].sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
    const body = JSON.stringify({ ts: Date.now(), rooms });
    for (const sub of subs) {
      if (sub.closed) continue;
      sub.session.sendSub(sub, subFrame('rooms', sub.id, body));
    }
  }

  // ---------------------------------------------------------------- history

  async history(
    session: InspectSession,
    msg: Extract<InspectClientMessage, { type: 'history' }>
  ): Promise<void> {
    try {
      const content = session.scope === 'content';
      const page = await readHistoryPage(this.opts.storage, msg);
      const live = this.opts.rooms.get(msg.room);
      let entries: UpdateSummary[];
      if (live) entries = summarizeStored(page.entries, live.doc, content);
      else {
        // Not loaded here: the stored state (cached briefly, reloaded when older than the page).
        const lease = await this.stored.acquire(msg.room, page.entries[page.entries.length - 1]?.seq ?? 0);
        try {
          entries = summarizeStored(page.entries, lease.doc, content);
        } finally {
          lease.release();
        }
      }
      // A page is at most `replyBytes` of JSON (the rest: next page), and waits for room in
      // the send queue like snapshot chunks.
      const fit = fitEntries(entries, this.replyBytes);
      if (!(await session.outbox.waitForRoom())) return;
      // Re-authenticated down to metadata meanwhile: the session withdrew this request.
      if (content && session.scope !== 'content') return;
      session.sendControl({
        type: 'history',
        id: msg.id,
        room: msg.room,
        fromTs: msg.fromTs,
        toTs: msg.toTs,
        entries: fit,
        nextAfterSeq: fit.length < entries.length ? (fit[fit.length - 1]?.seq ?? null) : page.nextAfterSeq,
      });
    } catch (err) {
      this.historyFailed(session, msg.id, err);
    }
  }

  async historyTree(
    session: InspectSession,
    msg: Extract<InspectClientMessage, { type: 'historyTree' }>
  ): Promise<void> {
    let replay: TreeReplay | null = null;
    const content = session.scope === 'content';
    // Re-authenticated down to metadata meanwhile: the session withdrew this request.
    const withdrawn = (): boolean => content && session.scope !== 'content';
    try {
      if (msg.toTs !== undefined) validateReplayRange(msg.at, msg.toTs);
      // The tree at `at` (same nodes as `treeOf`, but the walk is time-sliced),
      // one rebuild at a time per pod (a rebuild is synchronous applyUpdate work).
      replay = await this.rebuilds.run(() =>
        session.isOpen ? TreeReplay.open(this.opts.storage, msg.room, msg.at) : null
      );
      if (!replay) return;
      const nodes = replay.base();
      const { seq, seqTs } = replay;
      const chunkSize = INSPECT_LIMITS.snapshotChunkNodes;
      const chunks = Math.max(1, Math.ceil(nodes.length / chunkSize));
      for (let i = 0; i < chunks; i++) {
        if (!(await session.outbox.waitForRoom()) || withdrawn()) return;
        const slice = nodes.slice(i * chunkSize, (i + 1) * chunkSize);
        session.sendControl({
          type: 'historyTree',
          id: msg.id,
          room: msg.room,
          at: msg.at,
          seq,
          seqTs,
          chunk: i,
          last: i === chunks - 1,
          total: nodes.length,
          nodes: content ? slice : slice.map(stripValue),
        });
      }
      if (msg.toTs === undefined) return;
      const maxSteps = msg.maxSteps ?? INSPECT_LIMITS.maxHistorySteps;
      const pages = replay.pages(
        this.opts.storage,
        msg.room,
        msg.toTs,
        maxSteps,
        INSPECT_LIMITS.stepsChunkNodes
      );
      for await (const page of pages) {
        if (!(await session.outbox.waitForRoom()) || withdrawn()) return;
        session.sendControl({
          type: 'historyTreeSteps',
          id: msg.id,
          room: msg.room,
          at: msg.at,
          toTs: msg.toTs,
          steps: content
            ? page.steps
            : page.steps.map((st) => ({
                ...st,
                added: st.added.map(stripValue),
                changed: st.changed.map(stripValue),
              })),
          last: page.last,
          truncated: page.truncated,
        });
        // Let collaboration traffic through between pages.
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      this.historyFailed(session, msg.id, err);
    } finally {
      replay?.close();
    }
  }

  private historyFailed(session: InspectSession, id: string, err: unknown): void {
    if (err instanceof GateFullError) {
      session.error('rate_limited', err.message, { id });
      return;
    }
    if (err instanceof HistoryError) {
      session.error(err.code, err.message, { id });
      return;
    }
    this.opts.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'inspect history failed');
    session.error('internal', 'history request failed', { id });
  }
}
