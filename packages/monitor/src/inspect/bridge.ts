/**
 * The inspect bridge: observes a host (`MonitorHost`) and streams what it sees to authenticated
 * inspect sessions (`/inspect`). It only composes: admission and sessions (`session/`), one
 * module per stream (`streams/`), the history requests, and the host's events routed to the
 * streams that handle them.
 *
 * Cost model: nothing is done for a room without subscribers except the tree stream's small
 * per-room map Yjs client → last update time (O(1) per update). With subscribers, the update path
 * only records; decoding, tree patches, presence patches and traffic batches are computed later
 * in the event loop (setImmediate / short timers), once per room, serialised once per scope and
 * fanned out to per-session bounded outboxes. Slow sessions lose data (counted, then `resync` +
 * snapshot); they never hold up the host.
 *
 *   const bridge = new InspectBridge({ host });      // host: MonitorHost
 *   server.on('upgrade', (req, socket, head) => bridge.handleUpgrade(req, socket, head));
 *   await bridge.close();
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Registry, RegistryContentType } from 'prom-client';
import type { InspectClientMessage, InspectStream, PresenceFieldPaths } from '@collabblocks/protocol';
import type { HostListener, MonitorHost, MonitorLogger } from '../host.js';
import { subFrame } from './frame.js';
import { createInspectMetrics, type InspectMetrics } from './metrics.js';
import { Pseudonyms } from './pseudonyms.js';
import { DEFAULT_ADMISSION, SessionAdmission } from './session/admission.js';
import { WorkGate } from './session/gate.js';
import { DEFAULT_OUTBOX } from './session/outbox.js';
import { InspectSession, type SessionHost, type Subscription } from './session/session.js';
import { HistoryRequests } from './streams/history/history.js';
import { StoredDocs } from './streams/history/storedDocs.js';
import { MetricsStream } from './streams/metrics.js';
import { PresenceStream } from './streams/presence.js';
import { RoomsStream } from './streams/rooms.js';
import type { StreamContext, StreamModule } from './streams/stream.js';
import { TrafficStream } from './streams/traffic.js';
import { TreeStream } from './streams/tree/tree.js';
import { UpdatesStream } from './streams/updates/updates.js';
import { verifyInspectToken, type InspectVerifyResult } from './token.js';

export interface InspectBridgeOptions {
  host: MonitorHost;
  /** The host's metrics registry (so `/metrics` shows inspect metrics); own registry otherwise. */
  registry?: Registry<RegistryContentType>;
  /** Authenticated sessions per host (default 500). */
  maxSessions?: number;
  /** Authenticated sessions of one org per host (default 100). */
  maxSessionsPerOrg?: number;
  /** Authenticated sessions of one org API key per host (tokens naming their key; default 50). */
  maxSessionsPerKey?: number;
  /** Sockets still authenticating (default 64; each lives at most the auth deadline). */
  maxUnauthenticated?: number;
  /** Sockets still authenticating from one remote address (default 8). */
  maxUnauthenticatedPerAddress?: number;
  /** Deadline for a socket's first `auth`, ms (default 2000, announced in `hello`). */
  authTimeoutMs?: number;
  roomsIntervalMs?: number;
  metricsIntervalMs?: number;
  trafficFlushMs?: number;
  presenceFlushMs?: number;
  /** Field paths for awareness states no built-in editor convention recognises (`COLLAB_PRESENCE_FIELDS`). */
  presenceFields?: PresenceFieldPaths;
  /** One client's caret is located once per this many ms on average (default 100; tests). */
  presenceLocateIntervalMs?: number;
  /**
   * Keep a room's tree cache this long after its last tree subscriber left
   * (reconnects / dashboard refreshes then skip the initial walk); meanwhile
   * only the changed types are recorded. 0 = dispose at once.
   */
  treeGraceMs?: number;
  /** Per-session send queue bounds (defaults: DEFAULT_OUTBOX). */
  queue?: { maxQueuedBytes: number; maxQueuedMessages: number };
  /**
   * Host-wide: documents rebuilt from storage at once (historyTree, stored
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

const SILENT: MonitorLogger = { warn: () => {} };

export class InspectBridge implements SessionHost {
  readonly pod: string;
  readonly queueLimits: { maxQueuedBytes: number; maxQueuedMessages: number } | undefined;
  readonly authTimeoutMs: number | undefined;
  readonly metrics: InspectMetrics;
  /** What the host calls (`MonitorHost.observe` registers it; tests may call it directly). */
  readonly extension: HostListener;
  /** Host-wide cap on documents rebuilt from storage (synchronous applyUpdate + tree walk). */
  readonly rebuilds: WorkGate;
  /** Stored state of rooms not loaded here, kept briefly (tree subscribe floods, history pages). */
  readonly stored: StoredDocs | null;
  private readonly host: MonitorHost;
  private readonly logger: MonitorLogger;
  private readonly pseudonyms: Pseudonyms;
  private readonly admission: SessionAdmission;
  private readonly streams: Record<InspectStream, StreamModule>;
  private readonly historyRequests: HistoryRequests;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unobserve: () => void;
  private closing = false;

  constructor(opts: InspectBridgeOptions) {
    const host = opts.host;
    this.host = host;
    this.pod = host.name;
    this.queueLimits = opts.queue;
    this.logger = host.logger ?? SILENT;
    this.metrics = createInspectMetrics(opts.registry);
    this.pseudonyms = new Pseudonyms(host.secret);
    this.authTimeoutMs = opts.authTimeoutMs;
    this.admission = new SessionAdmission(
      {
        maxSessions: opts.maxSessions ?? DEFAULT_ADMISSION.maxSessions,
        maxSessionsPerOrg: opts.maxSessionsPerOrg ?? DEFAULT_ADMISSION.maxSessionsPerOrg,
        maxSessionsPerKey: opts.maxSessionsPerKey ?? DEFAULT_ADMISSION.maxSessionsPerKey,
        maxUnauthenticated: opts.maxUnauthenticated ?? DEFAULT_ADMISSION.maxUnauthenticated,
        maxUnauthenticatedPerAddress:
          opts.maxUnauthenticatedPerAddress ?? DEFAULT_ADMISSION.maxUnauthenticatedPerAddress,
      },
      this.metrics,
      (ws: WebSocket) => new InspectSession(ws, this)
    );
    this.rebuilds = new WorkGate(
      opts.maxConcurrentRebuilds ?? 1,
      opts.maxQueuedRebuilds ?? 16,
      'history rebuilds'
    );
    this.stored = host.history
      ? new StoredDocs(host.history, {
          ...(opts.storedDocTtlMs !== undefined ? { ttlMs: opts.storedDocTtlMs } : {}),
          gate: (fn) => this.rebuilds.run(fn),
        })
      : null;
    this.historyRequests = new HistoryRequests({
      host,
      logger: this.logger,
      rebuilds: this.rebuilds,
      stored: this.stored,
      replyBytes: Math.min(
        opts.maxReplyBytes ?? 1 << 20,
        (opts.queue?.maxQueuedBytes ?? DEFAULT_OUTBOX.maxQueuedBytes) / 4
      ),
    });
    const ctx: StreamContext = {
      host,
      pseudonyms: this.pseudonyms,
      metrics: this.metrics,
      logger: this.logger,
      isClosing: () => this.closing,
      countDrop: (org, stream, n) => this.countDrop(org, stream, n),
      resync: (sub, dropped, reason) => this.resyncWith(sub, dropped, reason),
    };
    const metricsStream = new MetricsStream(ctx);
    const roomsStream = new RoomsStream(ctx);
    this.streams = {
      rooms: roomsStream,
      presence: new PresenceStream(ctx, {
        ...(opts.presenceFlushMs !== undefined ? { flushMs: opts.presenceFlushMs } : {}),
        ...(opts.presenceFields ? { fields: opts.presenceFields } : {}),
        ...(opts.presenceLocateIntervalMs !== undefined
          ? { locateIntervalMs: opts.presenceLocateIntervalMs }
          : {}),
      }),
      tree: new TreeStream(ctx, { graceMs: opts.treeGraceMs ?? 15_000, stored: this.stored }),
      updates: new UpdatesStream(ctx),
      traffic: new TrafficStream(ctx, opts.trafficFlushMs),
      metrics: metricsStream,
    };
    this.extension = this.listener();
    this.every(opts.metricsIntervalMs ?? 1_000, () => metricsStream.tick());
    this.every(opts.roomsIntervalMs ?? 5_000, () => roomsStream.tick());
    this.unobserve = host.observe(this.extension);
  }

  get sessionCount(): number {
    return this.admission.count;
  }

  /** Upgrade handler for `/inspect`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.admission.handleUpgrade(req, socket, head);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.unobserve();
    for (const t of this.timers) clearInterval(t);
    const closed = this.admission.close();
    for (const s of Object.values(this.streams)) s.close();
    this.stored?.close();
    await closed;
  }

  // ------------------------------------------------------------ SessionHost

  verify(token: string): Promise<InspectVerifyResult> {
    return verifyInspectToken(this.host.secret, token);
  }

  sessionAuthenticated(session: InspectSession): true | string {
    return this.admission.admit(session);
  }

  sessionClosed(session: InspectSession): void {
    this.admission.release(session);
  }

  countDrop(org: string, stream: string, n: number): void {
    this.metrics.dropped.inc({ org, stream }, n);
  }

  subscribe(sub: Subscription): void {
    this.streams[sub.stream].subscribe(sub);
  }

  unsubscribe(sub: Subscription): void {
    sub.closed = true;
    this.streams[sub.stream].unsubscribe(sub);
  }

  resync(sub: Subscription, dropped: number): void {
    this.resyncWith(sub, dropped, 'backpressure');
  }

  history(session: InspectSession, msg: Extract<InspectClientMessage, { type: 'history' }>): Promise<void> {
    return this.historyRequests.history(session, msg);
  }

  historyTree(
    session: InspectSession,
    msg: Extract<InspectClientMessage, { type: 'historyTree' }>
  ): Promise<void> {
    return this.historyRequests.historyTree(session, msg);
  }

  // ---------------------------------------------------------------- internals

  /** `resync {reason}` to the subscription, then a fresh snapshot (state streams). */
  private resyncWith(sub: Subscription, dropped: number, reason: 'backpressure' | 'reload'): void {
    if (sub.closed) return;
    const msg = subFrame('resync', sub.id, {
      stream: sub.stream,
      ...(sub.room !== undefined ? { room: sub.room } : {}),
      dropped,
      reason,
    });
    sub.session.outbox.push(msg, sub.id);
    this.streams[sub.stream].resnapshot?.(sub);
  }

  /** The host's events, routed to every stream module that handles them. */
  private listener(): HostListener {
    const mods = Object.values(this.streams);
    const having = (k: keyof HostListener): StreamModule[] => mods.filter((m) => typeof m[k] === 'function');
    const frames = having('onFrame');
    const wants = having('wantsFrames');
    const updates = having('onUpdate');
    const awareness = having('onAwareness');
    const connects = having('onConnect');
    const disconnects = having('onDisconnect');
    const loaded = having('onRoomLoaded');
    const unloaded = having('onRoomUnloaded');
    return {
      wantsFrames: (room) => wants.some((m) => m.wantsFrames?.(room) === true),
      onFrame: (ev) => {
        for (const m of frames) m.onFrame?.(ev);
      },
      onUpdate: (ev) => {
        for (const m of updates) m.onUpdate?.(ev);
      },
      onAwareness: (ev) => {
        for (const m of awareness) m.onAwareness?.(ev);
      },
      onConnect: (conn) => {
        for (const m of connects) m.onConnect?.(conn);
      },
      onDisconnect: (conn) => {
        this.pseudonyms.forgetConn(conn.id);
        for (const m of disconnects) m.onDisconnect?.(conn);
      },
      onRoomLoaded: (ev) => {
        // Storage moved on while the room is loaded / after it unloads: the cached state is stale.
        this.stored?.invalidate(ev.room);
        for (const m of loaded) m.onRoomLoaded?.(ev);
      },
      onRoomUnloaded: (ev) => {
        this.stored?.invalidate(ev.room);
        for (const m of unloaded) m.onRoomUnloaded?.(ev);
      },
    };
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'inspect timer failed');
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }
}
