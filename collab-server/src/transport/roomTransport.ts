/**
 * WebSocket endpoint for editing clients: `ws://HOST:PORT/<org>/<room>?token=JWT`.
 *
 * Every upgrade is accepted first; a refused client is then closed at once
 * with a distinct close code and a clear reason (browsers cannot read HTTP
 * status codes of failed upgrades, but they can read close codes):
 *   ROOM_INVALID 4404, AUTH_MISSING 4401, AUTH_INVALID 4402,
 *   AUTH_WRONG_ORG 4403, AUTH_EXPIRED 4407 (at connect, and at the token's expiry
 *   during the session), RATE_LIMITED 4413 (connection caps per pod, address and
 *   org; room limit), STORAGE_UNAVAILABLE 4503 (room could not load), INTERNAL_ERROR
 *   4500 (token keys could not be fetched from the JWKS URL, or a bug).
 * Oversized frames are refused by `ws` itself (`maxPayload` → close 1009).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, parseRoomPath } from '@collabblocks/protocol';
import type { TokenVerifier } from '../auth/jwt.js';
import { userPseudonym } from '@collabblocks/monitor';
import { ABNORMAL_CLOSURE, type ConnectionInfo, type KeySetFailure } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { HookBus } from '../hooks/index.js';
import { RoomLimitError, ShuttingDownError, type RoomManager } from '../rooms/manager.js';
import { tracer } from '../observability/tracer.js';
import { ClientConnection } from './connection.js';
import { OutboundBudget } from './outbound.js';
import { FrameScheduler, type SchedulerOptions } from './scheduler.js';

export interface RoomTransportOptions {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  maxConnPerIp: number;
  /** Open (authenticated) connections of one org on this pod. */
  maxConnPerOrg: number;
  maxConnections: number;
  /** Turn slice and CPU budgets (`enabled: false`: none). */
  scheduler: SchedulerOptions;
  /** Pod-wide budget of bytes queued to clients; 0 = unbounded. */
  maxQueuedBytes: number;
  pingIntervalMs: number;
  pseudonymSecret: Buffer;
  /** Orgs known up front (from the API keys); orgs of authenticated connections are added as they come. */
  knownOrgs?: Iterable<string>;
}

export interface RoomTransportDeps {
  rooms: RoomManager;
  hooks: HookBus;
  logger: Logger;
  verifier: TokenVerifier;
  options: RoomTransportOptions;
}

export class RoomTransport {
  readonly wss: WebSocketServer;
  private readonly conns = new Set<ClientConnection>();
  private readonly perIp = new Map<string, number>();
  private readonly perOrg = new Map<string, number>();
  private readonly scheduler: FrameScheduler;
  /** Bytes queued to clients, pod-wide. */
  readonly outbound: OutboundBudget;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private accepting = true;
  /** Unknown / ignored message types received (pod lifetime). */
  unknownMessages = 0;
  /**
   * Orgs that may appear on refusal events. A refused client's org comes from
   * an unauthenticated path, so it is reported only if the org is known here
   * (configured API key, or a client of it authenticated before); otherwise it
   * is left out, so a scanner cannot grow metric label sets (`org="_unknown"`).
   */
  private readonly knownOrgs: Set<string>;
  private static readonly MAX_KNOWN_ORGS = 100_000;
  private lastKeySetWarn = 0;

  constructor(private readonly deps: RoomTransportDeps) {
    this.knownOrgs = new Set(deps.options.knownOrgs ?? []);
    this.scheduler = new FrameScheduler(deps.options.scheduler);
    this.outbound = new OutboundBudget(deps.options.maxQueuedBytes);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeatTimer = setInterval(() => {
      for (const c of this.conns) c.heartbeat();
    }, deps.options.pingIntervalMs);
    this.heartbeatTimer.unref();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  connections(): ReadonlySet<ClientConnection> {
    return this.conns;
  }

  /** Upgrade handler for room paths (everything not claimed by another upgrade route). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.onConnection(ws, req);
    });
  }

  private async onConnection(ws: WebSocket, req: IncomingMessage): Promise<void> {
    const { hooks, logger, options } = this.deps;
    const ip = req.socket.remoteAddress ?? 'unknown';
    const id = randomBytes(9).toString('base64url');
    const conn = new ClientConnection(
      id,
      ws,
      ip,
      {
        hooks,
        logger,
        maxBufferedBytes: options.maxBufferedBytes,
        pingIntervalMs: options.pingIntervalMs,
        maxQueuedFrames: 256,
        maxQueuedBytes: options.maxFrameBytes * 2,
        onUnknownMessage: () => {
          this.unknownMessages += 1;
        },
        scheduler: this.scheduler,
        outbound: this.outbound,
      },
      req.socket
    );
    ws.on('error', (err) => logger.debug({ conn: id, err: err.message }, 'websocket error'));

    const ipCount = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, ipCount);
    this.conns.add(conn);
    let joined = false;
    let countedOrg: string | null = null;
    ws.once('close', (code, reasonBuf) => {
      this.conns.delete(conn);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
      if (countedOrg !== null) {
        const o = (this.perOrg.get(countedOrg) ?? 1) - 1;
        if (o <= 0) this.perOrg.delete(countedOrg);
        else this.perOrg.set(countedOrg, o);
      }
      conn.dispose();
      logger.debug({ conn: id, code, joined }, 'connection closed');
      if (joined && conn.room) {
        conn.room.leave(conn);
        // Report the code the pod closed with, if it initiated the close (e.g. 4412 after terminate).
        // Otherwise the client sent its close frame first (its own code, any value it likes) or the
        // connection dropped without one (1006).
        const ev = conn.closedWith ?? { code, reason: reasonBuf.toString('utf8') };
        hooks.emit('onDisconnect', {
          conn: conn.info,
          code: ev.code,
          reason: ev.reason,
          byClient: conn.closedWith === null && code !== ABNORMAL_CLOSURE,
        });
      }
    });

    const reject = (code: number, reason: string, pathOrg?: string, keySetFailure?: KeySetFailure): void => {
      const org = pathOrg !== undefined && this.knownOrgs.has(pathOrg) ? pathOrg : undefined;
      hooks.emit('onReject', {
        ...(org !== undefined ? { org } : {}),
        code,
        reason,
        ...(keySetFailure !== undefined ? { keySetFailure } : {}),
      });
      // Debug level: a flood of refusals must not flood the logs. Never the URL (token) or names.
      logger.debug({ conn: id, ...(org !== undefined ? { org } : {}), code, reason }, 'connection refused');
      conn.close(code, reason);
    };
    // Parse the raw path (before URL normalisation) so dot segments and encodings are refused.
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    const parsed = parseRoomPath(rawPath);

    if (this.conns.size > options.maxConnections) {
      reject(
        CloseCode.RATE_LIMITED,
        'pod connection limit reached',
        parsed.ok ? parsed.value.org : undefined
      );
      return;
    }
    if (ipCount > options.maxConnPerIp) {
      hooks.emit('onLimit', { limit: 'conn-per-ip', action: 'refused' });
      reject(
        CloseCode.RATE_LIMITED,
        'too many connections from this address',
        parsed.ok ? parsed.value.org : undefined
      );
      return;
    }

    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://pod.invalid');
    } catch {
      reject(CloseCode.ROOM_INVALID, 'invalid request URL');
      return;
    }
    if (!parsed.ok) {
      reject(CloseCode.ROOM_INVALID, `invalid room: ${parsed.error}`);
      return;
    }
    const { org, id: roomId } = parsed.value;

    await tracer.startActiveSpan('ws.connect', { attributes: { org, 'room.id': roomId } }, async (span) => {
      try {
        const token = url.searchParams.get('token') ?? undefined;
        const verified = await this.deps.verifier.verify(token, org);
        if (!verified.ok) {
          span.setAttribute('collab.close_code', verified.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'rejected' });
          if (verified.keySetFailure !== undefined) this.warnKeySet(verified.keySetFailure);
          reject(verified.code, verified.reason, org, verified.keySetFailure);
          return;
        }
        if (!conn.isOpen) return;
        // Per org, counted from authentication on (the org is the token's, not just the path's).
        const orgCount = (this.perOrg.get(org) ?? 0) + 1;
        if (orgCount > options.maxConnPerOrg) {
          hooks.emit('onLimit', { org, limit: 'conn-per-org', action: 'refused' });
          reject(CloseCode.RATE_LIMITED, 'too many connections for this org on this pod', org);
          return;
        }
        this.perOrg.set(org, orgCount);
        countedOrg = org;
        const sub =
          this.deps.verifier.mode === 'disabled'
            ? `dev-${randomBytes(6).toString('hex')}`
            : verified.claims.sub;
        let room;
        try {
          logger.debug({ conn: id, room: roomId }, 'connection authenticated; acquiring its room');
          room = await this.deps.rooms.acquire(roomId);
        } catch (err) {
          if (err instanceof ShuttingDownError) {
            reject(CloseCode.GOING_AWAY, 'pod shutting down', org);
            return;
          }
          const limited = err instanceof RoomLimitError;
          const code = limited ? CloseCode.RATE_LIMITED : CloseCode.STORAGE_UNAVAILABLE;
          span.setAttribute('collab.close_code', code);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: limited ? 'room limit' : 'room load failed',
          });
          if (!limited) {
            logger.error({ room: roomId, err: (err as Error)?.message ?? String(err) }, 'room load failed');
          }
          reject(code, limited ? 'pod room limit reached' : 'room could not be loaded', org);
          return;
        }
        // The client may have left while we authenticated / loaded.
        if (!conn.isOpen) return;
        const info: ConnectionInfo = {
          id,
          room: roomId,
          org,
          userPseudonym: userPseudonym(options.pseudonymSecret, org, sub),
          ...(verified.claims.name !== undefined ? { displayName: verified.claims.name } : {}),
          connectedAt: Date.now(),
        };
        joined = true;
        if (this.knownOrgs.size < RoomTransport.MAX_KNOWN_ORGS) this.knownOrgs.add(org);
        conn.attach(room, info);
        logger.debug({ conn: id, room: roomId }, 'connection attached');
        hooks.emit('onConnect', info);
        // The connection ends with its token (4407), like inspect sessions; dev mode has no expiry.
        if (this.deps.verifier.mode !== 'disabled') conn.expireAt(verified.claims.exp * 1000);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        logger.error({ room: roomId, err: (err as Error)?.message ?? String(err) }, 'connect failed');
        reject(CloseCode.INTERNAL_ERROR, 'internal error', org);
      } finally {
        span.end();
      }
    });
  }

  /** A JWKS outage refuses every connection: say so, at most every 10 s (each refusal is counted). */
  private warnKeySet(failure: KeySetFailure): void {
    const now = Date.now();
    if (now - this.lastKeySetWarn < 10_000) return;
    this.lastKeySetWarn = now;
    this.deps.logger.warn(
      { failure },
      'token keys (JWKS) could not be fetched; refusing connections with 4500 (retryable)'
    );
  }

  /** Shutdown step 1: refuse new upgrades and stop processing frames of open connections. */
  stopAccepting(): void {
    this.accepting = false;
    for (const c of this.conns) c.freeze();
  }

  /** Shutdown step 2: closes every connection (1001 GOING_AWAY) and waits (bounded) for them to go. */
  async closeAll(code: number, reason: string, waitMs = 2000): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const closing = [...this.conns].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.close(code, reason);
        })
    );
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, waitMs).unref())]);
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
  }
}
