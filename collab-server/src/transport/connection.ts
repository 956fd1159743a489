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
 */
import { propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { WebSocket, type RawData } from 'ws';
import { CloseCode } from '@collabblocks/protocol';
import type { ConnectionInfo } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { HookBus } from '../hooks/index.js';
import { AwarenessLimitError, type Room, type RoomClient } from '../rooms/room.js';
import { tracer } from '../observability/tracer.js';
import { frameKind, MalformedFrameError, parseFrame } from './frames.js';

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
}

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

export class ClientConnection implements RoomClient {
  info!: ConnectionInfo;
  room: Room | null = null;
  /** False once we started closing; no more frames are processed or sent. */
  private open = true;
  /** True during shutdown drain: incoming frames are ignored (the client re-sends on reconnect). */
  private frozen = false;
  private queue: Uint8Array[] | null = [];
  private queuedBytes = 0;
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
    room.join(this);
    const queued = this.queue ?? [];
    this.queue = null;
    this.queuedBytes = 0;
    for (const frame of queued) {
      if (!this.open) break;
      this.handleFrame(frame);
    }
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
    if (this.queue) {
      this.queuedBytes += frame.byteLength;
      if (this.queue.length >= this.deps.maxQueuedFrames || this.queuedBytes > this.deps.maxQueuedBytes) {
        this.close(CloseCode.RATE_LIMITED, 'too many frames before the room was ready');
        return;
      }
      this.queue.push(frame);
      return;
    }
    this.handleFrame(frame);
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
          const reply = room.syncStep2For(parsed.stateVector);
          span.setAttribute('collab.reply_bytes', reply.byteLength);
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

  private takeParent(): Context | undefined {
    const p = this.nextParent;
    this.nextParent = undefined;
    return p;
  }

  /**
   * Sends one frame. If the peer is not reading and the send buffer already
   * holds more than `maxBufferedBytes`, the connection is closed with
   * SLOW_CONSUMER (and destroyed shortly after, since a stalled peer will not
   * read the close). The check is on what is already queued, so one large
   * frame (e.g. the initial sync of a big document) is always allowed.
   */
  send(frame: Uint8Array): void {
    if (!this.isOpen) return;
    // Frames gathered in this turn are still in the corked socket, not stuck at the peer: only what
    // was queued before the turn counts against the bound.
    if (this.ws.bufferedAmount - this.gathered > this.deps.maxBufferedBytes) {
      this.close(CloseCode.SLOW_CONSUMER, 'client is not reading fast enough');
      return;
    }
    this.gather(frame.byteLength);
    this.ws.send(frame, { binary: true });
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
    this.queue = null;
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
    this.queue = null;
    this.closedWith ??= { code: wsStatusCode(err), reason: 'websocket protocol error' };
  }

  /** Called once the socket is closed (any reason). */
  dispose(): void {
    this.open = false;
    this.queue = null;
    if (this.terminateTimer) clearTimeout(this.terminateTimer);
    this.terminateTimer = null;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
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
