// The sandbox's pretend-Grafana for embeds: Grafana's auth proxy in front of one Grafana organisation per
// collab org. Each organisation is its own host server (the org's Org Admin dashboard, its collab datasource
// holding the org's pod key, a Viewer). This front does what Grafana does with `[auth.proxy]` enabled and
// auto sign-up off (docker-compose.yml): the login comes from the auth-proxy header only; an unknown login or
// a request without one is not signed in; `X-Grafana-Org-Id` / `?orgId=` may only name an organisation the
// login is a member of; a dashboard URL must name a dashboard of that organisation. Everything else is
// forwarded to the organisation's host server, WebSockets (Grafana Live) included.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import { pipeUpgrade } from '../../../../gateway/src/embed/upgradePipe.js';

export interface AuthProxyOrg {
  /** Grafana organisation id. */
  grafanaOrgId: number;
  /** The one login that is a member of it (a Viewer): `embed-viewer-<org>`. */
  login: string;
  /** Dashboard uids of the organisation. */
  dashboards: readonly string[];
  /** Base URL of the organisation's host server, e.g. http://127.0.0.1:40123 */
  upstream: string;
}

export interface AuthProxyOptions {
  orgs: readonly AuthProxyOrg[];
  /** Grafana `[auth.proxy] header_name` (default X-WEBAUTH-USER). */
  headerName?: string;
}

export interface AuthProxyServer {
  readonly url: string;
  close(): Promise<void>;
}

type Decision =
  | { kind: 'refuse'; status: number; message: string }
  | { kind: 'forward'; org: AuthProxyOrg; path: string }
  | { kind: 'user'; org: AuthProxyOrg };

/** What Grafana decides for a request reaching it through the auth proxy. Pure. */
export function decide(
  orgs: readonly AuthProxyOrg[],
  headerName: string,
  method: string,
  url: string,
  headers: IncomingMessage['headers']
): Decision {
  const login = headers[headerName.toLowerCase()];
  if (typeof login !== 'string' || login === '')
    return { kind: 'refuse', status: 401, message: 'Unauthorized: not signed in' };
  const org = orgs.find((o) => o.login === login);
  // auto_sign_up = false: only logins the bootstrap created exist.
  if (!org) return { kind: 'refuse', status: 401, message: `Unauthorized: user ${login} not found` };
  const u = new URL(url, 'http://grafana');
  const asked = [headers['x-grafana-org-id'], u.searchParams.get('orgId') ?? undefined].filter(
    (v): v is string => typeof v === 'string'
  );
  for (const id of asked)
    if (id !== String(org.grafanaOrgId))
      return { kind: 'refuse', status: 403, message: `Access denied: not a member of organisation ${id}` };
  const dash = /^\/d(?:-solo)?\/([^/]+)(?:\/[^/]*)?$/.exec(u.pathname);
  if (dash) {
    if (method !== 'GET') return { kind: 'refuse', status: 405, message: 'Method not allowed' };
    if (!org.dashboards.includes(decodeURIComponent(dash[1] ?? '')))
      return { kind: 'refuse', status: 404, message: 'Dashboard not found' };
    // The organisation's host server renders its dashboard at `/`; the page reads the URL it was opened with.
    return { kind: 'forward', org, path: `/${u.search}` };
  }
  if (u.pathname === '/' || u.pathname === '/index.html')
    return { kind: 'refuse', status: 404, message: 'Not found: open a dashboard (/d/<uid>)' };
  if (u.pathname === '/api/user') return { kind: 'user', org };
  return { kind: 'forward', org, path: `${u.pathname}${u.search}` };
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'host']);

function forwardHeaders(req: IncomingMessage, headerName: string, host: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP.has(k) || k === headerName.toLowerCase() || k === 'x-grafana-org-id') continue;
    out[k] = v;
  }
  out.host = host;
  return out;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}

export async function startAuthProxy(opts: AuthProxyOptions): Promise<AuthProxyServer> {
  const headerName = opts.headerName ?? 'X-WEBAUTH-USER';
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const d = decide(opts.orgs, headerName, req.method ?? 'GET', req.url ?? '/', req.headers);
    if (d.kind === 'refuse') return refuse(res, d.status, d.message);
    if (d.kind === 'user') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ login: d.org.login, orgId: d.org.grafanaOrgId, orgRole: 'Viewer' }));
      return;
    }
    const target = new URL(d.org.upstream);
    const up = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: d.path,
        headers: forwardHeaders(req, headerName, target.host),
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      }
    );
    up.on('error', () => (res.headersSent ? res.destroy() : refuse(res, 502, 'Bad Gateway')));
    req.pipe(up);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const d = decide(opts.orgs, headerName, req.method ?? 'GET', req.url ?? '/', req.headers);
    if (d.kind !== 'forward') {
      const status = d.kind === 'refuse' ? d.status : 400;
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const target = new URL(d.org.upstream);
    pipeUpgrade(
      socket,
      head,
      { host: target.hostname, port: Number(target.port) },
      `${req.method ?? 'GET'} ${d.path} HTTP/1.1`,
      () => ({
        ...forwardHeaders(req, headerName, target.host),
        connection: 'Upgrade',
        upgrade: req.headers.upgrade ?? 'websocket',
      })
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
