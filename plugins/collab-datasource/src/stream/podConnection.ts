/**
 * One inspect WebSocket to one pod, shared by every query of a datasource
 * instance: subscriptions are multiplexed on it and ref-counted; the socket
 * opens with the first subscriber and closes (after `lingerMs`) when the last
 * leaves. It authenticates with a token in the first frame, re-authenticates
 * on the same socket before the token expires, reconnects with jittered
 * exponential backoff and re-subscribes everything after a reconnect.
 */
import { Observable } from 'rxjs';
import {
  INSPECT_PROTOCOL_VERSION,
  INSPECT_WS_PATH,
  parseInspectServerMessage,
  type InspectClientMessage,
  type InspectScope,
  type InspectServerMessage,
} from '@collabblocks/protocol';

import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { inspectSocketUrl, SOCKET_OPEN, type SocketFactory, type SocketLike } from './socket';
import type { ConnectionStatus, OneShotRequest, StreamEvent, StreamRequest, TokenProvider } from './types';

export interface PodConnectionOptions {
  /** Pod base URL (http/https). */
  url: string;
  tokens: TokenProvider;
  socketFactory: SocketFactory;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Keep an idle socket this long before closing it (default 1000 ms; 0 = close at once). */
  lingerMs?: number;
  /** Re-authenticate this long before expiry (default: a fifth of the token's life, at most 60 s, at least min(half, 5 s)). */
  refreshMarginMs?: number;
  /** hello + auth must complete within this (default 10 s), else the attempt counts as failed. */
  connectTimeoutMs?: number;
  /** Delay before re-subscribing a subscription the pod ended (room unloaded), default 1000 ms. */
  resubscribeDelayMs?: number;
  /**
   * Pod names by URL, shared by every connection of a datasource instance (every scope and shard): a name any
   * of them learned from a pod's `hello` names that pod in the others' events too, so a connection that never
   * reached the pod does not fall back to its address.
   */
  names?: PodNames;
}

/** Pod URL → the name the pod gave in its `hello`. */
export type PodNames = Map<string, string>;

type Listener = (ev: StreamEvent) => void;

interface SubEntry {
  kind: 'sub';
  key: number;
  req: StreamRequest;
  listener: Listener;
  reqId?: string;
  podSub?: string;
  resubTimer?: ReturnType<typeof setTimeout>;
}

interface ReqEntry {
  kind: 'req';
  key: number;
  req: OneShotRequest;
  listener: Listener;
  reqId?: string;
  sent: boolean;
}

type Entry = SubEntry | ReqEntry;

export class PodConnection {
  readonly url: string;
  /** Pod name from `hello` (this connection's or another's of the same `names`; the URL host until then). */
  podName: string;
  /** Scope of the current session (null until authenticated). */
  scope: InspectScope | null = null;
  status: ConnectionStatus = 'closed';
  /** Sockets opened so far (for tests and diagnostics). */
  socketsOpened = 0;

  private readonly opts: PodConnectionOptions;
  private socket: SocketLike | null = null;
  private ready = false;
  private readonly entries = new Map<number, Entry>();
  private readonly byReqId = new Map<string, Entry>();
  private readonly byPodSub = new Map<string, SubEntry>();
  private nextKey = 1;
  private nextReq = 1;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** serverTime − local time, from `hello`. */
  private clockOffset = 0;
  private lastExpiresAt = 0;
  /** The last attempt ended with an auth close (44xx): mint a new token instead of reusing the cached one. */
  private authRejected = false;

  constructor(opts: PodConnectionOptions) {
    this.opts = opts;
    this.url = opts.url;
    try {
      this.podName = new URL(opts.url).host;
    } catch {
      this.podName = opts.url;
    }
    this.adoptKnownName();
  }

  /** The pod's name as any connection of the instance learned it (it may have been renamed since). */
  private adoptKnownName(): void {
    const known = this.opts.names?.get(this.url);
    if (known) this.podName = known;
  }

  /** Active subscriptions + pending requests. */
  get refs(): number {
    return this.entries.size;
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  /** A live subscription: events until unsubscribed; unsubscribing sends `unsubscribe` and releases the socket. */
  stream(req: StreamRequest): Observable<StreamEvent> {
    return new Observable<StreamEvent>((subscriber) => {
      const entry: SubEntry = {
        kind: 'sub',
        key: this.nextKey++,
        req,
        listener: (ev) => subscriber.next(ev),
      };
      this.add(entry);
      if (this.ready) this.sendSubscribe(entry);
      return () => this.remove(entry);
    });
  }

  /**
   * A one-shot request (history / historyTree, with its replay steps): every response message with
   * its id, then completes never by itself — the caller completes when it has
   * the last page/chunk. Connection loss yields a fatal error event.
   */
  request(req: OneShotRequest): Observable<StreamEvent> {
    return new Observable<StreamEvent>((subscriber) => {
      const entry: ReqEntry = {
        kind: 'req',
        key: this.nextKey++,
        req,
        listener: (ev) => subscriber.next(ev),
        sent: false,
      };
      this.add(entry);
      if (this.ready) this.sendRequest(entry);
      return () => this.remove(entry);
    });
  }

  /** Closes the socket and forgets every subscriber (datasource disposal). */
  dispose(): void {
    for (const e of [...this.entries.values()]) this.remove(e);
    this.closeSocket(1000, 'disposed');
  }

  // ------------------------------------------------------------------ ref counting

  private add(entry: Entry): void {
    this.entries.set(entry.key, entry);
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (!this.socket && !this.reconnectTimer) this.connect();
    else entry.listener({ type: 'status', pod: this.podName, status: this.status });
  }

  private remove(entry: Entry): void {
    if (!this.entries.delete(entry.key)) return;
    if (entry.reqId) this.byReqId.delete(entry.reqId);
    if (entry.kind === 'sub') {
      if (entry.resubTimer) clearTimeout(entry.resubTimer);
      if (entry.podSub) {
        this.byPodSub.delete(entry.podSub);
        if (this.ready) this.send({ v: INSPECT_PROTOCOL_VERSION, type: 'unsubscribe', sub: entry.podSub });
      }
    }
    if (this.entries.size === 0) {
      const linger = this.opts.lingerMs ?? 1000;
      if (linger <= 0) this.idleClose();
      else this.lingerTimer = setTimeout(() => this.idleClose(), linger);
    }
  }

  private idleClose(): void {
    this.lingerTimer = null;
    if (this.entries.size > 0) return;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    this.closeSocket(1000, 'idle');
  }

  // ------------------------------------------------------------------ connection

  private setStatus(status: ConnectionStatus, detail?: string): void {
    this.adoptKnownName();
    this.status = status;
    this.broadcast({ type: 'status', pod: this.podName, status, ...(detail ? { detail } : {}) });
  }

  private broadcast(ev: StreamEvent): void {
    for (const e of [...this.entries.values()]) e.listener(ev);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.entries.size === 0) return;
    let url: string;
    try {
      url = inspectSocketUrl(this.opts.url, INSPECT_WS_PATH);
    } catch (err) {
      this.broadcast({
        type: 'error',
        pod: this.podName,
        message: (err as Error).message,
        code: 'config',
        fatal: true,
      });
      return;
    }
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const tokenPromise = this.opts.tokens(this.authRejected ? { fresh: true } : undefined);
    this.authRejected = false;
    tokenPromise.catch(() => undefined); // handled below; avoid an unhandled rejection before hello
    let socket: SocketLike;
    try {
      socket = this.opts.socketFactory(url);
    } catch (err) {
      this.failed(`cannot open ${url}: ${(err as Error).message}`, 'connection');
      return;
    }
    this.socket = socket;
    this.socketsOpened += 1;
    this.connectTimer = setTimeout(() => {
      if (this.socket === socket && !this.ready) {
        this.dropSocket(socket, 4000, 'connect timeout');
        this.failed('no hello/auth from the pod in time', 'timeout');
      }
    }, this.opts.connectTimeoutMs ?? 10_000);
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      const raw = typeof ev.data === 'string' ? ev.data : String(ev.data);
      const parsed = parseInspectServerMessage(raw);
      if (!parsed.ok) {
        this.broadcast({
          type: 'error',
          pod: this.podName,
          message: `unreadable message from the pod: ${parsed.error}`,
          code: parsed.code,
          fatal: false,
        });
        return;
      }
      this.onMessage(parsed.value, tokenPromise);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const why = ev.reason ? `${ev.code} ${ev.reason}` : `code ${ev.code}`;
      const auth = ev.code >= 4400 && ev.code < 4500;
      if (auth) this.authRejected = true;
      this.failed(`inspect socket closed (${why})`, auth ? 'auth' : 'connection');
    };
    socket.onerror = () => {
      // A close event follows; nothing to do here (and nothing to log: errors reach the panel).
    };
  }

  private onMessage(msg: InspectServerMessage, tokenPromise: Promise<{ token: string }>): void {
    switch (msg.type) {
      case 'hello':
        this.podName = msg.pod;
        this.opts.names?.set(this.url, msg.pod);
        this.clockOffset = msg.serverTime - Date.now();
        tokenPromise.then(
          (t) =>
            this.send({
              v: INSPECT_PROTOCOL_VERSION,
              type: 'auth',
              id: `auth-${this.nextReq++}`,
              token: t.token,
            }),
          (err: unknown) => {
            const socket = this.socket;
            if (socket) this.dropSocket(socket, 1000, 'no token');
            this.failed(`token: ${(err as Error)?.message ?? String(err)}`, 'token');
          }
        );
        return;
      case 'authenticated': {
        this.scope = msg.scope;
        this.lastExpiresAt = msg.expiresAt;
        this.scheduleRefresh(msg.expiresAt);
        if (msg.reauth) return;
        if (this.connectTimer) clearTimeout(this.connectTimer);
        this.connectTimer = null;
        this.ready = true;
        this.attempt = 0;
        this.setStatus('live');
        for (const e of [...this.entries.values()]) {
          if (e.kind === 'sub') this.sendSubscribe(e);
          else this.sendRequest(e);
        }
        return;
      }
      case 'error': {
        const target =
          (msg.id !== undefined ? this.byReqId.get(msg.id) : undefined) ??
          (msg.sub !== undefined ? this.byPodSub.get(msg.sub) : undefined);
        const ev: StreamEvent = {
          type: 'error',
          pod: this.podName,
          message: msg.message,
          code: msg.code,
          fatal: msg.fatal || target !== undefined,
        };
        if (target) {
          if (target.reqId) this.byReqId.delete(target.reqId);
          target.listener(ev);
        } else {
          this.broadcast({ ...ev, fatal: msg.fatal });
        }
        return;
      }
      case 'subscribed': {
        const e = this.byReqId.get(msg.id);
        if (e?.kind !== 'sub') {
          // Unsubscribed before the ack arrived: release the pod side too.
          this.send({ v: INSPECT_PROTOCOL_VERSION, type: 'unsubscribe', sub: msg.sub });
          return;
        }
        this.byReqId.delete(msg.id);
        e.reqId = undefined;
        e.podSub = msg.sub;
        this.byPodSub.set(msg.sub, e);
        e.listener({ type: 'message', pod: this.podName, msg });
        return;
      }
      case 'unsubscribed': {
        const e = this.byPodSub.get(msg.sub);
        if (!e) return;
        this.byPodSub.delete(msg.sub);
        e.podSub = undefined;
        e.listener({ type: 'message', pod: this.podName, msg });
        if (msg.reason !== 'client') {
          e.resubTimer = setTimeout(() => {
            e.resubTimer = undefined;
            if (this.ready && this.entries.has(e.key) && !e.podSub && !e.reqId) this.sendSubscribe(e);
          }, this.opts.resubscribeDelayMs ?? 1000);
        }
        return;
      }
      case 'history':
      case 'historyTree':
      case 'historyTreeSteps': {
        const e = this.byReqId.get(msg.id);
        if (e) e.listener({ type: 'message', pod: this.podName, msg });
        return;
      }
      case 'pong':
        return;
      default: {
        const e = this.byPodSub.get(msg.sub);
        if (e) e.listener({ type: 'message', pod: this.podName, msg });
      }
    }
  }

  private sendSubscribe(e: SubEntry): void {
    const id = `s${this.nextReq++}`;
    e.reqId = id;
    this.byReqId.set(id, e);
    this.send({
      v: INSPECT_PROTOCOL_VERSION,
      type: 'subscribe',
      id,
      stream: e.req.stream,
      ...(e.req.room !== undefined ? { room: e.req.room } : {}),
      ...(e.req.scope !== undefined ? { scope: e.req.scope } : {}),
      ...(e.req.presence !== undefined ? { presence: e.req.presence } : {}),
    });
  }

  private sendRequest(e: ReqEntry): void {
    if (e.sent) return;
    e.sent = true;
    const id = `r${this.nextReq++}`;
    e.reqId = id;
    this.byReqId.set(id, e);
    this.send({ v: INSPECT_PROTOCOL_VERSION, id, ...e.req });
  }

  private send(msg: InspectClientMessage): void {
    const s = this.socket;
    if (s && s.readyState === SOCKET_OPEN) s.send(JSON.stringify(msg));
  }

  private scheduleRefresh(expiresAt: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const localExpiry = expiresAt - this.clockOffset;
    const life = Math.max(0, localExpiry - Date.now());
    // A fifth of the token's life (at most 60 s), but at least half of it (up to 5 s) so short tokens
    // leave time for the mint round trip.
    const margin =
      this.opts.refreshMarginMs ?? Math.max(Math.min(60_000, life / 5), Math.min(5_000, life / 2));
    const socket = this.socket;
    this.refreshTimer = setTimeout(() => this.refresh(socket), Math.max(0, life - margin));
  }

  private refresh(socket: SocketLike | null): void {
    this.refreshTimer = null;
    if (!socket || this.socket !== socket) return;
    this.opts.tokens({ expiringAfter: this.lastExpiresAt }).then(
      (t) => {
        if (this.socket === socket) {
          this.send({
            v: INSPECT_PROTOCOL_VERSION,
            type: 'auth',
            id: `reauth-${this.nextReq++}`,
            token: t.token,
          });
        }
      },
      (err: unknown) => {
        if (this.socket !== socket) return;
        this.broadcast({
          type: 'error',
          pod: this.podName,
          message: `token refresh failed: ${(err as Error)?.message ?? String(err)}`,
          code: 'token',
          fatal: false,
        });
        // Try again shortly while the current token still holds.
        const left = this.lastExpiresAt - this.clockOffset - Date.now();
        if (left > 1000) this.refreshTimer = setTimeout(() => this.refresh(socket), Math.min(5000, left / 2));
      }
    );
  }

  /** The attempt failed or the socket dropped: tell subscribers, fail requests, back off and retry. */
  private failed(message: string, code: string): void {
    this.adoptKnownName();
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.ready = false;
    this.scope = null;
    this.byReqId.clear();
    this.byPodSub.clear();
    for (const e of [...this.entries.values()]) {
      e.reqId = undefined;
      if (e.kind === 'sub') {
        e.podSub = undefined;
        e.listener({ type: 'error', pod: this.podName, message, code, fatal: false });
      } else {
        e.listener({ type: 'error', pod: this.podName, message, code, fatal: true });
        this.entries.delete(e.key);
      }
    }
    if (this.entries.size === 0 || this.reconnectTimer) {
      this.status = 'closed';
      return;
    }
    const delay = backoffDelay(this.attempt, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random);
    this.attempt += 1;
    this.setStatus('reconnecting', `retry in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private dropSocket(socket: SocketLike, code: number, reason: string): void {
    socket.onmessage = null;
    socket.onclose = null;
    // Keep a no-op error handler: `ws` throws on an 'error' event nobody listens to.
    socket.onerror = () => undefined;
    socket.onopen = null;
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
    if (this.socket === socket) this.socket = null;
  }

  private closeSocket(code: number, reason: string): void {
    for (const t of [this.refreshTimer, this.connectTimer, this.reconnectTimer, this.lingerTimer]) {
      if (t) clearTimeout(t);
    }
    this.refreshTimer = this.connectTimer = this.reconnectTimer = this.lingerTimer = null;
    const s = this.socket;
    this.ready = false;
    this.scope = null;
    this.attempt = 0;
    this.byReqId.clear();
    this.byPodSub.clear();
    this.status = 'closed';
    if (s) this.dropSocket(s, code, reason);
  }
}
