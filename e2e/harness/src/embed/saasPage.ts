// The sandbox's stand-in for a SaaS front-end embedding org dashboards (docs/EMBEDDING.md, "How a SaaS
// front-end embeds an org's dashboard"), on its own origin. Its back-end holds each org's API key and asks
// the gateway for a signed URL on every page view; the browser only ever sees the signed URL, framed in an
// iframe, and asks the back-end for a fresh one before it expires.
//   GET /                      one link per org
//   GET /<org>[?room=&theme=]  the org's page: an iframe on a new signed URL
//   GET /api/embed-url/<org>[?room=&theme=&ttl=]   { url, expiresAt } (the page's refresh; ttl in seconds)
// A real SaaS serves /<org> and its refresh endpoint to that org's signed-in users only; the sandbox has no
// login (it binds 127.0.0.1).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SaasOrg {
  id: string;
  name: string;
  /** The org's key for POST /api/grafana/signed_url (stays in this process). */
  apiKey: string;
  /** Room embedded when the page URL names none. */
  room?: string;
}

export interface SaasPageOptions {
  orgs: readonly SaasOrg[];
  /** The embed gateway's base URL (known once it listens). */
  gatewayUrl: () => string;
  /** Dashboard uid to embed. */
  dashboard: string;
  /** Port on 127.0.0.1 (0 = ephemeral). */
  port?: number;
}

export interface SaasPageServer {
  /**
   * `http://127.0.0.1:<port>`: another origin than the gateway, on the same site — as the gateway should be
   * served (a subdomain of the SaaS app's domain): a cross-site frame loses its storage where browsers block
   * third-party cookies, and @grafana/ui cannot start without localStorage (docs/EMBEDDING.md).
   */
  readonly url: string;
  close(): Promise<void>;
}

interface SignedUrl {
  url: string;
  expiresAt: string;
}

class GatewayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: string
  ) {
    super(`gateway answered ${status}: ${body.slice(0, 300)}`);
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function page(org: SaasOrg, signed: SignedUrl, refreshPath: string): string {
  // JSON inside <script>: escape '<' so no value can close the tag.
  const data = JSON.stringify({ expiresAt: signed.expiresAt, refresh: refreshPath }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(org.name)} — SaaS app</title>
<link rel="icon" href="data:,"></head>
<body style="font-family: sans-serif; margin: 0">
<header style="padding: 8px 16px; background: #1f2937; color: #fff">SaaS app · ${escapeHtml(org.name)}</header>
<iframe id="embed" title="${escapeHtml(org.name)} dashboard" src="${escapeHtml(signed.url)}"
  style="border: 0; width: 100%; height: calc(100vh - 40px)"></iframe>
<script id="embed-state" type="application/json">${data}</script>
<script>
  // A signed URL works once and for at most 15 minutes: ask the back-end for a new one a minute before.
  const state = JSON.parse(document.getElementById('embed-state').textContent);
  function schedule(expiresAt) {
    const wait = Math.max(5000, Date.parse(expiresAt) - Date.now() - 60000);
    setTimeout(async () => {
      try {
        const r = await fetch(state.refresh, { cache: 'no-store' });
        if (!r.ok) throw new Error('HTTP ' + r.status);
        const next = await r.json();
        document.getElementById('embed').src = next.url;
        schedule(next.expiresAt);
      } catch (err) {
        console.error('embed refresh failed', err);
        schedule(new Date(Date.now() + 65000).toISOString());
      }
    }, wait);
  }
  schedule(state.expiresAt);
</script>
</body></html>`;
}

export async function startSaasPage(opts: SaasPageOptions): Promise<SaasPageServer> {
  const orgs = new Map(opts.orgs.map((o) => [o.id, o]));

  async function sign(org: SaasOrg, params: URLSearchParams): Promise<SignedUrl> {
    const room = params.get('room') ?? org.room;
    const theme = params.get('theme');
    const ttl = params.get('ttl');
    const r = await fetch(`${opts.gatewayUrl()}/api/grafana/signed_url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        dashboard: opts.dashboard,
        from: 'now-15m',
        to: 'now',
        ...(room ? { room } : {}),
        ...(theme ? { theme } : {}),
        ...(ttl ? { ttlSeconds: Number(ttl) } : {}),
      }),
    });
    const text = await r.text();
    if (r.status !== 200) throw new GatewayRefusal(r.status, text);
    return JSON.parse(text) as SignedUrl;
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://saas');
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const refusal = (err: unknown): void =>
      err instanceof GatewayRefusal
        ? reply(502, 'application/json', JSON.stringify({ error: 'gateway_refused', gateway: err.body }))
        : reply(502, 'application/json', JSON.stringify({ error: 'gateway_unreachable' }));
    if (u.pathname === '/') {
      const links = [...orgs.values()]
        .map((o) => `<li><a href="/${encodeURIComponent(o.id)}">${escapeHtml(o.name)}</a></li>`)
        .join('');
      return reply(200, 'text/html; charset=utf-8', `<!doctype html><h1>SaaS app</h1><ul>${links}</ul>`);
    }
    const api = /^\/api\/embed-url\/([^/]+)$/.exec(u.pathname);
    const pageMatch = /^\/([^/]+)$/.exec(u.pathname);
    const org = orgs.get(decodeURIComponent((api ?? pageMatch)?.[1] ?? ''));
    if (!org || req.method !== 'GET') return reply(404, 'text/plain', 'not found');
    if (api) {
      sign(org, u.searchParams).then((s) => reply(200, 'application/json', JSON.stringify(s)), refusal);
      return;
    }
    const refresh = `/api/embed-url/${encodeURIComponent(org.id)}${u.search}`;
    sign(org, u.searchParams).then(
      (s) => reply(200, 'text/html; charset=utf-8', page(org, s, refresh)),
      refusal
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
