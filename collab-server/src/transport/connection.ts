/**
 * One editing client on a WebSocket (`/<org>/<room>`), speaking the stock
 * y-websocket protocol. Frames that arrive before authentication and room
 * load finish are queued (bounded) and processed in order once attached.
 *
 * Everything a client can send is validated: text frames and malformed or
 * truncated frames close with MALFORMED_MESSAGE (4400); invalid Yjs updates
 * with INVALID_UPDATE (4411, checked by the room before persisting); awareness
 * over the per-connection limits (client ids, state size) with RATE_LIMITED
 * (4413); unknown message types are counted and ignored. The pod only ever sends standard
 * sync and awareness frames, so a stock client never sees anything else.
 *
 * Fairness and budgets (docs/POD.md "Limits and isolation"): frames are processed through the
 * pod's `FrameScheduler` (a turn slice, and CPU budgets of the connection and its room; frames
 * over budget wait in order and the socket stops being read), and every byte sent is counted in
 * the pod-wide `OutboundBudget` until it is written (a sync reply over that budget is refused with
 * POD_OVERLOADED 4508).
 */
import { propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { WebSocket, type RawData } from 'ws';
import { CloseCode } from '@collabblocks/protocol';
import type { ConnectionInfo, LimitEvent } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { HookBus } from '../hooks/index.js';
import { AwarenessLimitError, type Room, type RoomClient } from '../rooms/room.js';
import { tracer } from '../observability/tracer.js';
import { frameKind, MalformedFrameError, parseFrame } from './frames.js';
import type { OutboundBudget } from './outbound.js';
import type { CpuBucket, FrameScheduler, Schedulable } from './scheduler.js';

export interface ConnectionDeps {
  hooks: HookBus;
  logger: Logger;
  maxBufferedBytes: number;
  /** Heartbeat period: a ping unanswered for at least this long terminates the connection. */
  pingIntervalMs: number;
  /** Bound on frames queued before the connection is attached to its room. */
  maxQueuedFrames: number;
  maxQueuedBytes: number;
  /** Counts unknown / ignored message types (pod-wide). */
  onUnknownMessage(): void;
  /** Turn slicing and CPU budgets (pod-wide). */
  scheduler: FrameScheduler;
  /** Bytes queued to clients (pod-wide) and their budget. */
  outbound: OutboundBudget;
}

/** While the pod is over its queued-bytes budget, a connection with more than this queued is a slow consumer. */
const TIGHT_BUFFERED_BYTES = 256 * 1024;
/** Frames waiting for their budget beyond which the socket stops being read (resumed at half). */
const PAUSE_PENDING_FRAMES = 64;
const PAUSE_PENDING_BYTES = 1024 * 1024;

/** The part of a `net.Socket` used to gather a turn's frames into one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Grace given to a peer to complete the close handshake before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;
const MAX_REASON_BYTES = 123;
const MAX_TIMER_MS = 2 ** 31 - 1;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** The close code `ws` attached to a receive error (a symbol-keyed property); 1002 when absent. */
function wsStatusCode(err: Error): number {
  for (const sym of Object.getOwnPropertySymbols(err)) {
    if (sym.description !== 'status-code') continue;
    const v = (err as unknown as Record<symbol, unknown>)[sym];
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  return 1002;
}

function clampReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > MAX_REASON_BYTES) r = r.slice(0, -1);
  return r;
}

export class ClientConnection implements RoomClient, Schedulable {
  info!: ConnectionInfo;
  room: Room | null = null;
  readonly cpu: CpuBucket;
  private roomBucket: CpuBucket | null = null;
  /** Frames received and not yet processed: before attach (auth / room load), or waiting for budget. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private attached = false;
  private paused = false;
  /** False once we started closing; no more frames are processed or sent. */
  private open = true;
  /** True during shutdown drain: incoming frames are ignored (the client re-sends on reconnect). */
  private frozen = false;
  private nextParent: Context | undefined;
  /** Heartbeat: set by pong, cleared by ping. */
  private alive = true;
  private pingSentAt = 0;
  private terminateTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** The code/reason the POD closed with (the socket may report 1006 if the peer never answered). */
  closedWith: { code: number; reason: string } | null = null;
  /** True while this turn's sends are being gathered in the corked socket. */
  private corked = false;
  /** Bytes sent into the corked socket during this turn. */
  private gathered = 0;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly ip: string,
    private readonly deps: ConnectionDeps,
    /**
     * The TCP socket under `ws`. Frames sent to one connection in the same event-loop turn (a
     * group commit releasing several updates of a room, a burst of awareness) are gathered by
     * corking it and leave in one `writev` when the turn's ticks have run, instead of one
     * system call per frame. Optional: without it every frame is written at once.
     */
    private readonly socket?: Corkable
  ) {
    this.cpu = deps.scheduler.connectionBucket();
    ws.on('message', (data, isBinary) => this.onRawMessage(data, isBinary));
    ws.on('pong', () => this.onPong());
    ws.on('error', (err) => this.onProtocolError(err));
  }

  get isOpen(): boolean {
    return this.open && this.ws.readyState === WebSocket.OPEN;
  }

  /** Joins the room and processes the frames that arrived during authentication / load. */
  attach(room: Room, info: ConnectionInfo): void {
    this.info = info;
    this.room = room;
    this.roomBucket = this.deps.scheduler.roomBucket(room);
    this.attached = true;
    room.join(this);
    while (this.open && this.pending.length > 0 && this.deps.scheduler.mayRunNow(this)) this.runOne();
    if (this.open && this.pending.length > 0) this.deps.scheduler.enqueue(this);
  }

  // ---- Schedulable -------------------------------------------------------------

  roomCpu(): CpuBucket | null {
    return this.roomBucket;
  }

  hasPending(): boolean {
    return this.open && this.pending.length > 0;
  }

  runOne(): void {
    const frame = this.pending.shift();
    if (!frame) return;
    this.pendingBytes -= frame.byteLength;
    if (
      this.paused &&
      this.pending.length <= PAUSE_PENDING_FRAMES / 2 &&
      this.pendingBytes <= PAUSE_PENDING_BYTES / 2
    ) {
      this.paused = false;
      this.ws.resume();
    }
    this.process(frame);
  }

  throttled(scope: 'conn' | 'room', totalMs: number): void {
    if (scope === 'conn' && totalMs >= this.deps.scheduler.opts.connThrottleCloseMs) {
      this.limit({ limit: 'conn-cpu', action: 'closed' });
      this.close(CloseCode.UPDATE_BUDGET_EXCEEDED, 'updates cost more pod CPU than this connection may use');
      return;
    }
    this.limit({ limit: scope === 'conn' ? 'conn-cpu' : 'room-cpu', action: 'throttled' });
  }

  /** Processing time of this connection's update spent outside `process` (the apply to the room's doc). */
  charge(ms: number): void {
    this.deps.scheduler.charge(this, ms);
  }

  /** Reports a limit that acted on this connection (`onLimit`, counted per org). */
  limit(ev: Omit<LimitEvent, 'org'>): void {
    this.deps.hooks.emit('onLimit', { ...ev, ...(this.room ? { org: this.room.org } : {}) });
  }

  private process(frame: Uint8Array): void {
    const t0 = performance.now();
    this.handleFrame(frame);
    this.deps.scheduler.charge(this, performance.now() - t0);
  }

  /**
   * Closes the connection with AUTH_EXPIRED (4407) at `epochMs`, the expiry of the token it was
   * authenticated with: no frame is processed after it. A stock y-websocket client treats 4400-4499 as
   * final and emits `closed`; the application sets a fresh token in `provider.params` and calls
   * `provider.connect()` (its unsent edits and presence then sync as on any reconnect).
   */
  expireAt(epochMs: number): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (!this.open) return;
    const delay = epochMs - Date.now();
    if (delay <= 0) {
      this.close(CloseCode.AUTH_EXPIRED, 'token expired; reconnect with a fresh token');
      return;
    }
    // Timers take at most 2^31-1 ms (~24.8 days); a longer token is checked again then.
    this.expiryTimer = setTimeout(() => this.expireAt(epochMs), Math.min(delay, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }

  /** Stops processing incoming frames (graceful shutdown drain). */
  freeze(): void {
    this.frozen = true;
  }

  private onRawMessage(data: RawData, isBinary: boolean): void {
    if (!this.open || this.frozen) return;
    if (!isBinary) {
      this.close(
        CloseCode.MALFORMED_MESSAGE,
        'text frames are not supported; send binary y-websocket frames'
      );
      return;
    }
    const frame = toBytes(data);
    if (!this.attached) {
      if (
        this.pending.length >= this.deps.maxQueuedFrames ||
        this.pendingBytes + frame.byteLength > this.deps.maxQueuedBytes
      ) {
        this.close(CloseCode.RATE_LIMITED, 'too many frames before the room was ready');
        return;
      }
      this.pending.push(frame);
      this.pendingBytes += frame.byteLength;
      return;
    }
    if (this.pending.length === 0 && this.deps.scheduler.mayRunNow(this)) {
      this.process(frame);
      return;
    }
    // Over the turn slice or a budget, or earlier frames still wait: keep order, wait for a turn.
    this.pending.push(frame);
    this.pendingBytes += frame.byteLength;
    if (
      !this.paused &&
      (this.pending.length > PAUSE_PENDING_FRAMES || this.pendingBytes > PAUSE_PENDING_BYTES)
    ) {
      this.paused = true;
      this.ws.pause();
    }
    this.deps.scheduler.enqueue(this);
  }

  private handleFrame(frame: Uint8Array): void {
    const room = this.room;
    if (!room || !this.open) return;
    const hooks = this.deps.hooks;
    if (hooks.wantsFrames(room.id)) {
      hooks.emitFrame({
        room: room.id,
        org: room.org,
        connId: this.id,
        direction: 'in',
        kind: frameKind(frame),
        bytes: frame.byteLength,
        ts: Date.now(),
        data: frame,
      });
    }
    let parsed;
    try {
      parsed = parseFrame(frame);
    } catch (err) {
      const reason = err instanceof MalformedFrameError ? err.message : 'malformed frame';
      hooks.emit('onMessage', { org: room.org, room: room.id, kind: 'unknown', bytes: frame.byteLength });
      this.close(CloseCode.MALFORMED_MESSAGE, `malformed frame: ${reason}`);
      return;
    }
    hooks.emit('onMessage', { org: room.org, room: room.id, kind: parsed.kind, bytes: frame.byteLength });
    switch (parsed.kind) {
      case 'sync-step1': {
        const parent = this.takeParent();
        const span = tracer.startSpan(
          'sync.step1',
          { attributes: { org: room.org, 'room.id': room.id, 'collab.bytes': frame.byteLength } },
          parent
        );
        try {
          const outbound = this.deps.outbound;
          if (outbound.over) {
            this.refuseOverloaded();
            return;
          }
          const reply = room.syncStep2For(parsed.stateVector);
          span.setAttribute('collab.reply_bytes', reply.byteLength);
          if (!outbound.admits(reply)) {
            this.refuseOverloaded();
            return;
          }
          this.send(reply);
        } catch {
          this.close(CloseCode.MALFORMED_MESSAGE, 'malformed state vector');
        } finally {
          span.end();
        }
        return;
      }
      case 'sync-step2': {
        const parent = this.takeParent();
        const span = tracer.startSpan(
          'sync.step2',
          { attributes: { org: room.org, 'room.id': room.id, 'collab.bytes': frame.byteLength } },
          parent
        );
        void room
          .submitUpdate(this, parsed.update, trace.setSpan(parent ?? ROOT_CONTEXT, span))
          .then((res) => span.setAttribute('collab.result', res))
          .finally(() => span.end());
        return;
      }
      case 'sync-update':
        void room.submitUpdate(this, parsed.update, this.takeParent());
        return;
      case 'awareness':
        try {
          room.applyAwareness(this, parsed.update, this.takeParent());
        } catch (err) {
          if (err instanceof AwarenessLimitError) this.close(CloseCode.RATE_LIMITED, err.message);
          else this.close(CloseCode.MALFORMED_MESSAGE, 'malformed awareness update');
        }
        return;
      case 'query-awareness': {
        const f = room.awarenessFrame();
        if (f) this.send(f);
        return;
      }
      case 'trace-context':
        // Sets the parent of this connection's next message (W3C trace context).
        this.nextParent = propagation.extract(ROOT_CONTEXT, {
          traceparent: parsed.traceparent,
          ...(parsed.tracestate ? { tracestate: parsed.tracestate } : {}),
        });
        return;
      case 'auth':
      case 'unknown':
        this.deps.onUnknownMessage();
        return;
    }
  }

  /** The pod's queued-bytes budget cannot take the sync reply this client asked for. */
  private refuseOverloaded(): void {
    this.limit({ limit: 'queued-bytes', action: 'refused' });
    this.close(CloseCode.POD_OVERLOADED, 'pod is over its memory budget for queued bytes; retry later');
  }

  private takeParent(): Context | undefined {
    const p = this.nextParent;
    this.nextParent = undefined;
    return p;
  }

  /**
   * Sends one frame. If the peer is not reading and the send buffer already
   * holds more than `maxBufferedBytes`, the connection is closed with
   * SLOW_CONSUMER (and destroyed shortly after, since a stalled peer will not
   * read the close). The check is on what is already queued (every byte, the
   * first sync reply included), so one large frame (e.g. the initial sync of a
   * big document) is allowed and nothing after it until it is read. While the
   * pod is over its queued-bytes budget the bound is 256 KiB for everyone.
   * Every frame is counted in the pod-wide budget until it is written.
   */
  send(frame: Uint8Array): void {
    if (!this.isOpen) return;
    // Frames gathered in this turn are still in the corked socket, not stuck at the peer: only what
    // was queued before the turn counts against the bound.
    const outbound = this.deps.outbound;
    const bound = outbound.over
      ? Math.min(this.deps.maxBufferedBytes, TIGHT_BUFFERED_BYTES)
      : this.deps.maxBufferedBytes;
    if (this.ws.bufferedAmount - this.gathered > bound) {
      this.close(CloseCode.SLOW_CONSUMER, 'client is not reading fast enough');
      return;
    }
    this.gather(frame.byteLength);
    this.ws.send(frame, { binary: true }, outbound.hold(frame));
    const room = this.room;
    if (room && this.deps.hooks.wantsFrames(room.id)) {
      this.deps.hooks.emitFrame({
        room: room.id,
        org: room.org,
        connId: this.id,
        direction: 'out',
        kind: frameKind(frame),
        bytes: frame.byteLength,
        ts: Date.now(),
        data: frame,
      });
    }
  }

  /** Corks the socket until the current turn's ticks and microtasks have run (see `socket`). */
  private gather(bytes: number): void {
    if (!this.socket) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.release);
    }
    // Payload plus the largest server frame header (no mask).
    this.gathered += bytes + 10;
  }

  private readonly release = (): void => {
    this.corked = false;
    this.gathered = 0;
    this.socket?.uncork();
  };

  /** Closes with a protocol close code; the socket is destroyed if the peer does not answer in time. */
  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.dropPending();
    this.closedWith = { code, reason };
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    try {
      this.ws.close(code, clampReason(reason));
    } catch {
      this.ws.terminate();
    }
    this.terminateTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.terminateTimer.unref();
  }

  /**
   * `ws` refused what the peer sent (frame above `maxPayload` → 1009, invalid UTF-8 → 1007, other
   * protocol violations → 1002) and is closing with that code: record it as the pod's close, since
   * the close event later reports whatever the peer echoed.
   */
  private onProtocolError(err: Error): void {
    this.open = false;
    this.dropPending();
    this.closedWith ??= { code: wsStatusCode(err), reason: 'websocket protocol error' };
  }

  /** Called once the socket is closed (any reason). */
  dispose(): void {
    this.open = false;
    this.dropPending();
    if (this.terminateTimer) clearTimeout(this.terminateTimer);
    this.terminateTimer = null;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.deps.scheduler.remove(this);
  }

  /**
   * Heartbeat, called every ping interval. A connection that did not answer
   * the previous ping is considered gone and terminated (its awareness states
   * are then removed by the close handler).
   *
   * The verdict is taken in a `setImmediate`, i.e. after the event loop's I/O
   * phase: if the pod's loop was stalled (GC, a big sync) past the interval,
   * timers run before pending socket reads, and a pong that already arrived
   * would otherwise be read too late and a healthy client dropped. A ping
   * sent late (after such a stall) also gets a full interval to be answered.
   */
  heartbeat(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // While the pod does not read this socket (frames waiting for their budget) its pongs cannot
    // arrive: no verdict until reading resumes (the budget closes a connection throttled too long).
    if (this.paused) {
      this.alive = true;
      return;
    }
    if (this.alive) {
      this.ping();
      return;
    }
    if (performance.now() - this.pingSentAt < this.deps.pingIntervalMs * 0.9) return;
    setImmediate(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      if (this.alive) {
        this.ping();
        return;
      }
      this.deps.logger.debug({ conn: this.id }, 'no pong since last ping; terminating');
      this.ws.terminate();
    });
  }

  private ping(): void {
    this.alive = false;
    this.pingSentAt = performance.now();
    try {
      this.ws.ping();
    } catch {
      this.ws.terminate();
    }
  }

  /**
   * Presence RTT: the WebSocket ping → pong round trip of this connection.
   * It is measured when the pong callback runs on the pod's event loop, so it
   * includes network time plus event-loop delay on the pod — i.e. the
   * transport latency that presence (awareness) traffic actually experiences.
   */
  private onPong(): void {
    this.alive = true;
    if (this.pingSentAt === 0) return;
    const rttMs = performance.now() - this.pingSentAt;
    this.pingSentAt = 0;
    const room = this.room;
    if (room && this.info) {
      this.deps.hooks.emit('onRtt', { org: room.org, room: room.id, connId: this.id, rttMs });
    }
  }
}
