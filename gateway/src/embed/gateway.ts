/**
 * The embed gateway in front of Grafana:
 *   POST /api/grafana/signed_url   (org API key) → { url, expiresAt }: a signed URL, ≤ 15 minutes
 *   GET  /embed/d/<uid>?…&x-sig=…  verify (signature, key, expiry, scope, single use) → session
 *                                  cookie + 303 to the dashboard
 *   anything else                  with a valid session: proxied to Grafana as that org's embed
 *                                  viewer (Grafana auth proxy: X-WEBAUTH-USER, X-Grafana-Org-Id),
 *                                  WebSockets (Grafana Live) included; without one: 401.
 * A client can never choose the identity Grafana sees: incoming auth-proxy headers, Authorization
 * and the session cookie itself are stripped before anything is forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeUpgrade } from './upgradePipe.js';
import type { Duplex } from 'node:stream';
import { errorMessage } from '@collabblocks/protocol';
import { createOrgKeyAuthenticator } from '@collabblocks/monitor';
import {
  EmbedError,
  MAX_LIFETIME_S,
  NonceLedger,
  parseEmbedRequest,
  signEmbedUrl,
  verifyEmbedUrl,
  type SigningOrg,
} from './signing.js';
import { cookieValue, SESSION_COOKIE, SessionCodec, withoutCookie, type EmbedSession } from './session.js';

export interface GatewayOrg extends SigningOrg {
  apiKey: string;
}

export interface EmbedGatewayOptions {
  orgs: GatewayOrg[];
  /** Grafana organisation id of each collab org (resolved by the bootstrap). */
  grafanaOrgId(org: string): number | undefined;
  /** Grafana's base URL, e.g. http://grafana:3000 */
  grafana: string;
  /**
   * The gateway's public base URL, used in the URLs it signs (e.g. https://grafana.example.com).
   * Omitted: `http://<address>:<port>` of the socket it listens on, known once it listens (local use and
   * tests on an ephemeral port; a gateway listening on every interface must set it).
   */
  publicUrl?: string;
  sessionSecret: string;
  /** Lifetime of a signed URL when the request does not ask for less (s, ≤ 900). */
  defaultTtlS?: number;
  /** Grafana auth-proxy header (Grafana `[auth.proxy] header_name`). */
  userHeader?: string;
  /** Origins allowed to frame the dashboards (CSP frame-ancestors), e.g. https://app.example.com */
  frameAncestors?: string[];
  now?: () => number;
  nonces?: NonceLedger;
}

/** The Grafana login the gateway signs an org's embeds in as (a Viewer of that org only). */
export function embedViewer(org: string): string {
  return `embed-viewer-${org}`;
}

const STRIP = new Set([
  'authorization',
  'x-grafana-org-id',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

function json(
  res: ServerResponse,
  status: number,
  body: object,
  headers: http.OutgoingHttpHeaders = {}
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof EmbedError) json(res, err.status, { error: err.code, message: err.message });
  else json(res, 500, { error: 'internal', message: 'internal error' });
}

function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new EmbedError('malformed', `body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new EmbedError('malformed', 'body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function createEmbedGateway(opts: EmbedGatewayOptions): http.Server {
  const now = opts.now ?? Date.now;
  const orgs = new Map(opts.orgs.map((o) => [o.id, o]));
  const apiKeyOrg = createOrgKeyAuthenticator(
    opts.orgs.map((o) => ({ org: o.id, key: o.apiKey, scope: 'metadata' as const }))
  );
  const sessions = new SessionCodec(opts.sessionSecret);
  const nonces = opts.nonces ?? new NonceLedger();
  const defaultTtl = Math.min(opts.defaultTtlS ?? MAX_LIFETIME_S, MAX_LIFETIME_S);
  const grafana = new URL(opts.grafana);
  const userHeader = (opts.userHeader ?? 'X-WEBAUTH-USER').toLowerCase();
  const frameAncestors = opts.frameAncestors?.length
    ? `frame-ancestors 'self' ${opts.frameAncestors.join(' ')}`
    : undefined;
  const sweep = setInterval(() => nonces.sweep(now()), 60_000);
  sweep.unref();

  /** The base of the URLs it signs: the configured public URL, or where it listens. */
  function publicUrl(): string {
    if (opts.publicUrl !== undefined) return opts.publicUrl.replace(/\/$/, '');
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('the gateway is not listening on a TCP port');
    if (a.address === '0.0.0.0' || a.address === '::')
      throw new Error('the gateway listens on every interface: set publicUrl');
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Browsers keep a Secure cookie over HTTPS, and over plain HTTP on localhost only. */
  function secureCookie(): boolean {
    const base = publicUrl();
    return base.startsWith('https:') || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(base);
  }

  /** Headers for Grafana: the client's, minus anything that could claim an identity, plus ours. */
  function upstreamHeaders(
    req: IncomingMessage,
    s: EmbedSession,
    upgrade: boolean
  ): http.OutgoingHttpHeaders {
    const out: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || STRIP.has(k) || k === userHeader || k.startsWith('x-webauth-')) continue;
      out[k] = v;
    }
    const cookie = withoutCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie) out.cookie = cookie;
    else delete out.cookie;
    out.host = grafana.host;
    out[userHeader] = embedViewer(s.org);
    out['x-grafana-org-id'] = String(s.grafanaOrgId);
    if (upgrade) {
      out.connection = 'Upgrade';
      out.upgrade = req.headers.upgrade ?? 'websocket';
    }
    return out;
  }

  function session(req: IncomingMessage): EmbedSession | undefined {
    const v = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return v === undefined ? undefined : sessions.decode(v, now());
  }

  async function signedUrl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const org = apiKeyOrg(req)?.org;
    if (!org) {
      json(res, 401, {
        error: 'unauthorized',
        message: 'an org API key is required (Authorization: Bearer …)',
      });
      return;
    }
    const body = await readJson(req, 16 * 1024);
    const request = parseEmbedRequest(body, org);
    const gid = opts.grafanaOrgId(org);
    if (gid === undefined) throw new EmbedError('unknown_org', `org ${org} has no Grafana organisation yet`);
    const signed = signEmbedUrl(orgs.get(org)!, gid, request, now(), defaultTtl);
    json(res, 200, {
      url: `${publicUrl()}${signed.path}`,
      expiresAt: new Date(signed.expiresAt).toISOString(),
    });
  }

  function openEmbed(req: IncomingMessage, res: ServerResponse): void {
    const t = now();
    const v = verifyEmbedUrl(req.url ?? '/', { orgs, grafanaOrgId: opts.grafanaOrgId, nowMs: t });
    if (!nonces.claim(v.org, v.nonce, v.expiresAt, t))
      throw new EmbedError('replayed', 'this embed URL was already used; ask for a new one');
    const s: EmbedSession = { org: v.org, grafanaOrgId: v.grafanaOrgId, expiresAt: v.expiresAt };
    res.writeHead(303, {
      location: v.grafanaPath,
      'set-cookie': sessions.setCookie(s, t, secureCookie()),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end();
  }

  function proxy(req: IncomingMessage, res: ServerResponse, s: EmbedSession): void {
    const up = http.request(
      {
        protocol: grafana.protocol,
        hostname: grafana.hostname,
        port: grafana.port,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(req, s, false),
      },
      (upRes) => {
        const headers = { ...upRes.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        if (frameAncestors) {
          delete headers['x-frame-options'];
          const csp = headers['content-security-policy'];
          headers['content-security-policy'] = csp ? `${String(csp)}; ${frameAncestors}` : frameAncestors;
        }
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      }
    );
    up.on('error', (err) => {
      if (!res.headersSent)
        json(res, 502, {
          error: 'grafana_unreachable',
          message: `Grafana unreachable: ${errorMessage(err)}`,
        });
      else res.destroy();
    });
    req.pipe(up);
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    void (async () => {
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/api/grafana/signed_url') {
        if (req.method !== 'POST') json(res, 405, { error: 'method', message: 'POST only' });
        else await signedUrl(req, res);
      } else if (path.startsWith('/embed/')) {
        openEmbed(req, res);
      } else {
        const s = session(req);
        if (!s)
          json(res, 401, {
            error: 'no_session',
            message: 'no embed session, or it expired: open a new signed URL',
          });
        else proxy(req, res, s);
      }
    })().catch((err: unknown) => fail(res, err));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const s = session(req);
    if (!s) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    pipeUpgrade(
      socket,
      head,
      { host: grafana.hostname, port: Number(grafana.port || 80) },
      `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`,
      () => upstreamHeaders(req, s, true)
    );
  });
  server.on('close', () => clearInterval(sweep));
  return server;
}
