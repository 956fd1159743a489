/**
 * One inspect WebSocket: hello → auth (within 2 s, token in the first frame)
 * → requests. Owns the session's outbox (backpressure), its subscriptions,
 * request rate limiting and token expiry. Stream content is produced by the
 * bridge (`bridge.ts`); this module only speaks the protocol.
 */
import type { WebSocket } from 'ws';
import {
  CloseCode,
  INSPECT_FEATURES,
  INSPECT_LIMITS,
  INSPECT_SCHEMA_REVISION,
  INSPECT_STREAMS,
  parseInspectClientMessage,
  parseRoomName,
  scopeAllows,
  type InspectClientMessage,
  type InspectErrorCode,
  type InspectScope,
  type InspectServerMessage,
  type InspectStream,
  type PresenceSubscribeOptions,
  type WithoutVersion,
} from '@collabblocks/protocol';
import { controlFrame } from '../frame.js';
import { Outbox, DEFAULT_OUTBOX } from './outbox.js';
import type { InspectVerifyResult } from '../token.js';

export interface Subscription {
  readonly id: string;
  readonly stream: InspectStream;
  readonly room: string | undefined;
  readonly session: InspectSession;
  /** `presence` stream options of the subscribe request (field paths, location resolution). */
  readonly presence?: PresenceSubscribeOptions;
  /** While a snapshot is being streamed, live messages wait here (bounded). */
  holding: string[] | null;
  /** Incremented on every (re)snapshot so a stale snapshot loop stops. */
  generation: number;
  closed: boolean;
}

/** What the session needs from the bridge. */
export interface SessionHost {
  readonly pod: string;
  /** Send queue bounds for new sessions (DEFAULT_OUTBOX when absent). */
  readonly queueLimits?: { maxQueuedBytes: number; maxQueuedMessages: number };
  /** Deadline for the first `auth` (default INSPECT_LIMITS.authTimeoutMs, announced in `hello`). */
  readonly authTimeoutMs?: number;
  verify(token: string): Promise<InspectVerifyResult>;
  subscribe(sub: Subscription): void;
  unsubscribe(sub: Subscription): void;
  resync(sub: Subscription, dropped: number): void;
  history(session: InspectSession, msg: Extract<InspectClientMessage, { type: 'history' }>): Promise<void>;
  historyTree(
    session: InspectSession,
    msg: Extract<InspectClientMessage, { type: 'historyTree' }>
  ): Promise<void>;
  /**
   * Called on the first successful auth, before `authenticated` is sent: true admits the session;
   * false or a reason refuses it (a session cap: host, org or key), and it is closed RATE_LIMITED.
   */
  sessionAuthenticated(session: InspectSession): boolean | string;
  sessionClosed(session: InspectSession): void;
  countDrop(org: string, stream: string, n: number): void;
}

/**
 * Rejected requests (rate limit) within FLOOD_WINDOW_MS after which the socket is closed. Counted per
 * window, not "in a row": an admitted request in between (the bucket refilled while a flood was being
 * read, e.g. on a starved event loop) must not reset the count, or a flood paced just above the rate
 * would never be closed.
 */
const FLOOD_CLOSE_AFTER = 200;
const FLOOD_WINDOW_MS = 10_000;
/**
 * History requests (`history`, `historyTree`) run one at a time per session;
 * this many more may wait, in order. Beyond that a request is refused at once
 * (`rate_limited`, with its id).
 */
export const MAX_QUEUED_HISTORY = 4;

type HistoryRequest = Extract<InspectClientMessage, { type: 'history' | 'historyTree' }>;

/** Streams whose frames differ by scope (values, previews, names, free-text statuses). */
const CONTENT_STREAMS: ReadonlySet<InspectStream> = new Set(['tree', 'updates', 'presence']);
/** Replies that carry content-scope data. */
const CONTENT_REPLIES: ReadonlySet<string> = new Set(['history', 'historyTree', 'historyTreeSteps']);

export class InspectSession {
  org: string | null = null;
  scope: InspectScope = 'metadata';
  /** The org API key that minted the first token, when the token says (per-key session cap). */
  keyId: string | undefined = undefined;
  expiresAt = 0;
  readonly subs = new Map<string, Subscription>();
  readonly outbox: Outbox;
  private authTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private subCounter = 0;
  private tokens: number = INSPECT_LIMITS.requestsPerSecond * 2;
  private lastRefill: number;
  private rejected = 0;
  private rejectedSince = 0;
  private authChain: Promise<void> = Promise.resolve();
  private authsInFlight = 0;
  private overflowed = false;
  /** The running history request (null when none): its id and the scope it started in. */
  private historyRunning: { id: string; scope: InspectScope } | null = null;
  private readonly historyQueue: HistoryRequest[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly host: SessionHost,
    private readonly now: () => number = Date.now
  ) {
    this.lastRefill = now();
    this.outbox = new Outbox(
      {
        send: (d, cb) => ws.send(d, cb),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      },
      {
        ...DEFAULT_OUTBOX,
        ...host.queueLimits,
        onDrop: (sub, n) => {
          const s = sub !== undefined ? this.subs.get(sub) : undefined;
          if (this.org) host.countDrop(this.org, s?.stream ?? 'control', n);
        },
        onResync: (sub, dropped) => {
          const s = this.subs.get(sub);
          if (s && !s.closed) host.resync(s, dropped);
        },
        onOverflow: () => {
          // A reply could not even be queued: the client does not read. Close rather than
          // let replies vanish (outside the caller's stack: it may be iterating state).
          if (this.overflowed) return;
          this.overflowed = true;
          setImmediate(() =>
            this.close(
              CloseCode.SLOW_CONSUMER,
              'replies could not be queued: the client does not read its socket'
            )
          );
        },
      }
    );
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
    const authTimeoutMs = host.authTimeoutMs ?? INSPECT_LIMITS.authTimeoutMs;
    this.authTimer = setTimeout(() => {
      if (this.org === null)
        this.close(
          CloseCode.AUTH_TIMEOUT,
          `not authenticated within ${authTimeoutMs} ms`,
          'not_authenticated'
        );
    }, authTimeoutMs);
    this.authTimer.unref?.();
    this.sendControl({
      type: 'hello',
      pod: host.pod,
      serverTime: now(),
      authTimeoutMs,
      streams: [...INSPECT_STREAMS],
      limits: {
        maxSubscriptions: INSPECT_LIMITS.maxSubscriptions,
        requestsPerSecond: INSPECT_LIMITS.requestsPerSecond,
        maxHistorySpanMs: INSPECT_LIMITS.maxHistorySpanMs,
        maxHistoryEntries: INSPECT_LIMITS.maxHistoryEntries,
        snapshotChunkNodes: INSPECT_LIMITS.snapshotChunkNodes,
      },
      revision: INSPECT_SCHEMA_REVISION,
      features: [...INSPECT_FEATURES],
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get authenticated(): boolean {
    return this.org !== null;
  }

  /** Sends a control message (ack, error, response) — never dropped by subscription stalls. */
  sendControl(msg: WithoutVersion<InspectServerMessage>): void {
    if (this.closed) return;
    // A reply serialised with content-scope data is tagged: a later scope downgrade withdraws it.
    const contentReply =
      this.scope === 'content' && CONTENT_REPLIES.has(msg.type) && 'id' in msg && typeof msg.id === 'string'
        ? msg.id
        : undefined;
    this.outbox.push(controlFrame(msg), undefined, contentReply);
  }

  /** Sends a pre-serialised stream message for a subscription (holds it while a snapshot streams). */
  sendSub(sub: Subscription, data: string): void {
    if (this.closed || sub.closed) return;
    if (sub.holding !== null) {
      if (sub.holding.length >= 1_000) {
        // Too much happened during the snapshot: start over with a fresh one.
        const dropped = sub.holding.length + 1;
        sub.holding = null;
        if (this.org) this.host.countDrop(this.org, sub.stream, dropped);
        this.host.resync(sub, dropped);
        return;
      }
      sub.holding.push(data);
      return;
    }
    this.outbox.push(data, sub.id);
  }

  error(
    code: InspectErrorCode,
    message: string,
    extra: { id?: string | undefined; sub?: string } = {}
  ): void {
    this.sendControl({
      type: 'error',
      code,
      message,
      fatal: false,
      ...(extra.id !== undefined ? { id: extra.id } : {}),
      ...(extra.sub !== undefined ? { sub: extra.sub } : {}),
    });
  }

  /** Sends a fatal error then closes with a 44xx code. */
  close(closeCode: number, reason: string, code?: InspectErrorCode, id?: string): void {
    if (this.closed) return;
    if (code) {
      this.sendControl({
        type: 'error',
        code,
        message: reason,
        fatal: true,
        ...(id !== undefined ? { id } : {}),
      });
    }
    this.teardown();
    try {
      this.ws.close(closeCode, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    for (const sub of this.subs.values()) {
      sub.closed = true;
      this.host.unsubscribe(sub);
    }
    this.subs.clear();
    this.historyQueue.length = 0;
    // Let already queued control messages (the fatal error) go out before the close frame.
    this.outbox.drain();
    this.outbox.close();
    this.host.sessionClosed(this);
  }

  private takeToken(): boolean {
    const t = this.now();
    const rate = INSPECT_LIMITS.requestsPerSecond;
    this.tokens = Math.min(rate * 2, this.tokens + ((t - this.lastRefill) / 1000) * rate);
    this.lastRefill = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) {
      if (!this.authenticated)
        this.close(
          CloseCode.MALFORMED_MESSAGE,
          'binary frames are not part of the inspect protocol',
          'malformed'
        );
      else this.error('malformed', 'binary frames are not part of the inspect protocol; send JSON text');
      return;
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data as Buffer[]).toString('utf8')
        : String(data);
    const parsed = parseInspectClientMessage(text);
    if (!parsed.ok) {
      if (!this.authenticated) this.close(CloseCode.MALFORMED_MESSAGE, parsed.error, parsed.code, parsed.id);
      else this.error(parsed.code, parsed.error, { id: parsed.id });
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'auth') {
      // Each auth verifies a JWT: it counts against the request rate like any request.
      if (!this.admitRequest(msg.id)) return;
      this.authsInFlight++;
      this.authChain = this.authChain.then(() => this.onAuth(msg)).finally(() => this.authsInFlight--);
      return;
    }
    if (this.authsInFlight > 0) {
      // Pipelined after an auth still being verified: handle in order, after it.
      this.authChain = this.authChain.then(() => this.handle(msg));
      return;
    }
    this.handle(msg);
  }

  private handle(msg: InspectClientMessage): void {
    if (this.closed) return;
    if (msg.type === 'auth') return;
    if (!this.authenticated) {
      this.close(
        CloseCode.AUTH_MISSING,
        `'${msg.type}' before authentication; send {type:'auth'} first`,
        'not_authenticated',
        msg.id
      );
      return;
    }
    if (!this.admitRequest(msg.id)) return;
    if (msg.type === 'ping') {
      this.sendControl({
        type: 'pong',
        serverTime: this.now(),
        ...(msg.id !== undefined ? { id: msg.id } : {}),
      });
      return;
    }
    switch (msg.type) {
      case 'subscribe':
        this.onSubscribe(msg);
        return;
      case 'unsubscribe': {
        const sub = this.subs.get(msg.sub);
        if (!sub) {
          this.error('unknown_subscription', `no subscription ${msg.sub}`, { id: msg.id, sub: msg.sub });
          return;
        }
        this.subs.delete(sub.id);
        sub.closed = true;
        this.outbox.forget(sub.id);
        this.host.unsubscribe(sub);
        this.sendControl({
          type: 'unsubscribed',
          sub: sub.id,
          reason: 'client',
          ...(msg.id !== undefined ? { id: msg.id } : {}),
        });
        return;
      }
      case 'history':
      case 'historyTree': {
        if (!this.checkRoom(msg.room, msg.id)) return;
        if (this.historyRunning !== null && this.historyQueue.length >= MAX_QUEUED_HISTORY) {
          this.error(
            'rate_limited',
            `one history request runs at a time per session and ${MAX_QUEUED_HISTORY} may wait; ` +
              'this one was refused: send it again after a reply',
            { id: msg.id }
          );
          return;
        }
        this.historyQueue.push(msg);
        this.pumpHistory();
        return;
      }
    }
  }

  /** Starts the next queued history request when none is running. */
  private pumpHistory(): void {
    if (this.historyRunning !== null || this.closed) return;
    const msg = this.historyQueue.shift();
    if (!msg) return;
    this.historyRunning = { id: msg.id, scope: this.scope };
    const run = msg.type === 'history' ? this.host.history(this, msg) : this.host.historyTree(this, msg);
    run
      .catch(() => this.error('internal', 'history request failed', { id: msg.id }))
      .finally(() => {
        this.historyRunning = null;
        this.pumpHistory();
      });
  }

  /**
   * Request rate (every client message: auth, ping and requests): false when over it — a
   * `rate_limited` error, or closing RATE_LIMITED after FLOOD_CLOSE_AFTER within FLOOD_WINDOW_MS (at once
   * before authentication: an unauthenticated socket has no business flooding).
   */
  private admitRequest(id: string | undefined): boolean {
    if (this.takeToken()) return true;
    const t = this.now();
    if (t - this.rejectedSince > FLOOD_WINDOW_MS) {
      this.rejected = 0;
      this.rejectedSince = t;
    }
    this.rejected++;
    if (this.rejected >= FLOOD_CLOSE_AFTER || !this.authenticated) {
      this.close(CloseCode.RATE_LIMITED, 'request flood', 'rate_limited', id);
      return false;
    }
    this.error('rate_limited', `more than ${INSPECT_LIMITS.requestsPerSecond} requests/s; slow down`, {
      id,
    });
    return false;
  }

  /** Room name valid and in the session's org; sends the error otherwise. */
  private checkRoom(room: string, id: string | undefined): boolean {
    const r = parseRoomName(room);
    if (!r.ok) {
      this.error('room_invalid', r.error, { id });
      return false;
    }
    if (r.value.org !== this.org) {
      this.error('wrong_org', `room ${room} is not in this session's org`, { id });
      return false;
    }
    return true;
  }

  private onSubscribe(msg: Extract<InspectClientMessage, { type: 'subscribe' }>): void {
    if (msg.scope !== undefined && !scopeAllows(this.scope, msg.scope)) {
      this.error(
        'scope_insufficient',
        `this subscription needs '${msg.scope}' scope; the token grants '${this.scope}'`,
        {
          id: msg.id,
        }
      );
      return;
    }
    if (msg.room !== undefined && !this.checkRoom(msg.room, msg.id)) return;
    if (this.subs.size >= INSPECT_LIMITS.maxSubscriptions) {
      this.error(
        'too_many_subscriptions',
        `at most ${INSPECT_LIMITS.maxSubscriptions} subscriptions per session`,
        {
          id: msg.id,
        }
      );
      return;
    }
    const sub: Subscription = {
      id: `s${++this.subCounter}`,
      stream: msg.stream,
      room: msg.stream === 'rooms' ? undefined : msg.room,
      session: this,
      ...(msg.stream === 'presence' && msg.presence ? { presence: msg.presence } : {}),
      holding: null,
      generation: 0,
      closed: false,
    };
    this.subs.set(sub.id, sub);
    this.sendControl({
      type: 'subscribed',
      id: msg.id,
      sub: sub.id,
      stream: sub.stream,
      ...(sub.room !== undefined ? { room: sub.room } : {}),
    });
    this.host.subscribe(sub);
  }

  private async onAuth(msg: Extract<InspectClientMessage, { type: 'auth' }>): Promise<void> {
    if (this.closed) return;
    const res = await this.host.verify(msg.token);
    if (this.closed) return;
    if (!res.ok) {
      this.close(res.closeCode, res.reason, res.code, msg.id);
      return;
    }
    const v = res.value;
    if (this.org !== null && v.org !== this.org) {
      this.close(CloseCode.AUTH_WRONG_ORG, 're-auth token is for another org', 'wrong_org', msg.id);
      return;
    }
    if (msg.scope !== undefined && !scopeAllows(v.scope, msg.scope)) {
      this.close(
        CloseCode.SCOPE_INSUFFICIENT,
        `token grants '${v.scope}' scope; '${msg.scope}' was required`,
        'scope_insufficient',
        msg.id
      );
      return;
    }
    const reauth = this.org !== null;
    const lowered = reauth && this.scope === 'content' && v.scope === 'metadata';
    this.org = v.org;
    this.scope = v.scope;
    this.expiresAt = v.expiresAt;
    if (!reauth) {
      this.keyId = v.keyId;
      const admitted = this.host.sessionAuthenticated(this);
      if (admitted !== true) {
        const reason = admitted === false ? 'too many inspect sessions on this pod' : admitted;
        this.close(CloseCode.RATE_LIMITED, reason, 'rate_limited', msg.id);
        return;
      }
    }
    if (lowered) this.withdrawContent();
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () =>
        this.close(
          CloseCode.AUTH_EXPIRED,
          'inspect token expired; re-authenticate before expiresAt',
          'auth_expired'
        ),
      Math.max(0, v.expiresAt - this.now())
    );
    this.sendControl({
      type: 'authenticated',
      org: v.org,
      scope: v.scope,
      expiresAt: v.expiresAt,
      reauth,
      ...(msg.id !== undefined ? { id: msg.id } : {}),
    });
  }

  /**
   * Re-authenticated from content down to metadata scope: nothing serialised for content
   * scope may still go out. Queued frames of content-bearing subscriptions are discarded
   * (and those held behind a streaming snapshot): each such subscription gets a resync and a
   * fresh snapshot in metadata scope once the socket drains. Queued content replies are
   * withdrawn, as is the running history request if it started in content scope (the bridge
   * stops it); each gets a `scope_insufficient` error with its id — ask again.
   */
  private withdrawContent(): void {
    const subs = [...this.subs.values()].filter((s) => !s.closed && CONTENT_STREAMS.has(s.stream));
    const held = new Map<string, number>();
    for (const s of subs) {
      if (s.holding === null) continue;
      held.set(s.id, s.holding.length);
      s.holding = null;
    }
    const ids = this.outbox.withdrawContent(
      subs.map((s) => s.id),
      (id) => held.get(id) ?? 0
    );
    const running = this.historyRunning;
    if (running?.scope === 'content' && !ids.includes(running.id)) ids.push(running.id);
    for (const id of ids) {
      this.error(
        'scope_insufficient',
        'reply withdrawn: the session was re-authenticated with metadata scope before it was sent; send the request again',
        { id }
      );
    }
  }
}
