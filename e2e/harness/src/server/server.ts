// The host server: serves the test host page and its per-leg bundle, the plugins' dist/ under
// public/plugins/<id>/ (like Grafana), @grafana/ui's icons under public/build/img/icons/, and emulates the
// datasource proxy. Binds to 127.0.0.1 on an ephemeral port.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

import type {
  DatasourceInstanceInfo,
  DatasourceSpec,
  HostConfig,
  Leg,
  OrgRole,
  ThemeMode,
} from '../shared/types.js';
import { FIXTURES_DIR, findPackageDir, hostBundleDir, legDir, packageVersion, PLUGINS_DIR } from './paths.js';
import { type BuiltPlugin, discoverPlugins } from './plugins.js';
import { backendCommandOf } from './backendPlugin/command.js';
import { type BackendDatasource, BackendPlugins } from './backendPlugin/routes.js';
import type { LiveHub } from './backendPlugin/liveHub.js';
import { attachLiveSocket } from './live/liveSocket.js';
import { planProxyRequest, type ProxyDatasource } from './proxy.js';

export interface HostServerOptions {
  leg: Leg;
  role?: OrgRole;
  theme?: ThemeMode;
  /** Directories whose subdirectories' dist/plugin.json are served (default: plugins/ and the harness fixtures). */
  pluginsDirs?: string[];
  featureToggles?: Record<string, boolean>;
  /** Sandbox mode: returns the page config for the datasource this server registered. */
  sandbox?: (server: HostServer) => NonNullable<HostConfig['sandbox']>;
  /** Port to listen on (default 0 = ephemeral). Tests must keep 0. */
  port?: number;
}

export interface ProxyLogEntry {
  uid: string;
  path: string;
  status: number;
  target?: string;
}

export interface HostServer {
  readonly url: string;
  readonly leg: Leg;
  readonly plugins: ReadonlyMap<string, BuiltPlugin>;
  role: OrgRole;
  /** Registers a datasource instance; returns the settings the browser may see (no secure values). */
  registerDatasource(pluginId: string, spec: DatasourceSpec): DatasourceInstanceInfo;
  /** Every proxied request, for assertions (method-less summary; never includes header values). */
  readonly proxyLog: ProxyLogEntry[];
  /** Grafana Live: pages connected to the live socket and the subscriptions they hold. */
  liveStats(): { sockets: number; subscriptions: number };
  /** The Live hub of a backend plugin (RunStream calls started, channels running). */
  liveHub(pluginId: string): Promise<LiveHub>;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8'
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

/** Serves `rel` from inside `root` only (no traversal). */
function serveFile(res: http.ServerResponse, root: string, rel: string): void {
  const file = path.resolve(root, `.${path.posix.normalize(`/${decodeURIComponent(rel)}`)}`);
  if (!file.startsWith(path.resolve(root) + path.sep)) return send(res, 403, 'forbidden');
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) return send(res, 404, 'not found');
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
}

// Icons Grafana core ships in public/img/icons but @grafana/ui's package does not (e.g. `spinner`, the loading
// icon of Combobox and Select): served here instead of a 404.
const CORE_ICONS: Record<string, string> = {
  'unicons/spinner.svg':
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2a10 10 0 1 0 10 10h-2a8 8 0 1 1-8-8z"/></svg>',
};

// Grafana serves Inter / Roboto Mono from public/fonts; no package ships them, so the host substitutes the
// system's DejaVu fonts (installed by scripts/ensure-system-deps.sh) and lets the browser fall back otherwise.
const FONT_SUBSTITUTES = [
  { match: /roboto|mono/i, files: ['/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'] },
  { match: /bold|semibold|[67]00/i, files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'] },
  { match: /./, files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] },
];

function serveFont(res: http.ServerResponse, p: string): void {
  const sub = FONT_SUBSTITUTES.find((f) => f.match.test(p));
  const file = sub?.files.find((f) => fs.existsSync(f));
  if (!file) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'font/ttf', 'cache-control': 'max-age=3600' });
  fs.createReadStream(file).pipe(res);
}

function hostHtml(config: HostConfig): string {
  // JSON inside <script>: escape '<' so no value can close the tag.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CollabBlocks plugin harness (${config.leg})</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/host/host.css">
<script>window.__grafana_public_path__ = '/public/';</script>
<script id="harness-config" type="application/json">${json}</script>
</head>
<body class="theme-${config.theme}">
<div id="reactRoot"></div>
<script src="/host/host.js"></script>
</body>
</html>`;
}

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const { leg } = options;
  const plugins = discoverPlugins(options.pluginsDirs ?? [PLUGINS_DIR, FIXTURES_DIR]);
  const bundleDir = hostBundleDir(leg);
  if (!fs.existsSync(path.join(bundleDir, 'host.js'))) {
    throw new Error(`host bundle for ${leg} missing: run \`npm run build -w e2e/${leg}\``);
  }
  const uiDir = findPackageDir(legDir(leg), '@grafana/ui');
  const iconsDir = path.join(uiDir, 'dist', 'public', 'img', 'icons');
  const grafanaVersion = packageVersion(uiDir);
  const datasources = new Map<string, ProxyDatasource>();
  const proxyLog: ProxyLogEntry[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let role: OrgRole = options.role ?? 'Admin';
  // Backend plugins (plugin.json backend: true) run as Grafana runs them; started on their first request.
  const backends = new BackendPlugins((pluginId) => backendCommandOf(plugins.get(pluginId)));
  const updatedAt = new Map<string, number>();
  const backendDs = (uid: string): BackendDatasource | undefined => {
    const ds = datasources.get(uid);
    if (!ds || plugins.get(ds.pluginId)?.meta.backend !== true) return undefined;
    return {
      uid: ds.uid,
      name: names.get(ds.uid) ?? ds.uid,
      pluginId: ds.pluginId,
      jsonData: ds.jsonData,
      secureJsonData: ds.secureJsonData,
      updated: updatedAt.get(ds.uid) ?? 0,
    };
  };
  const answer = (
    res: http.ServerResponse,
    p: Promise<{ status: number; body: unknown; contentType?: string }>
  ) => {
    p.then(
      (a) =>
        typeof a.body === 'string'
          ? send(res, a.status, a.body, a.contentType ?? 'application/json; charset=utf-8')
          : sendJson(res, a.status, a.body),
      (err: unknown) => sendJson(res, 500, { message: err instanceof Error ? err.message : String(err) })
    );
  };
  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 16 * 1024 * 1024) req.destroy(new Error('body too large'));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const hostConfig = (): HostConfig => ({
    leg,
    role,
    theme: options.theme ?? 'dark',
    featureToggles: options.featureToggles ?? {},
    plugins: Object.fromEntries([...plugins].map(([id, p]) => [id, p.meta])),
    grafanaVersion,
    ...(options.sandbox ? { sandbox: options.sandbox(self) } : {}),
  });

  const info = (ds: ProxyDatasource, name: string): DatasourceInstanceInfo => ({
    uid: ds.uid,
    name,
    type: ds.pluginId,
    url: `/api/datasources/proxy/uid/${ds.uid}`,
    jsonData: ds.jsonData,
    secureJsonFields: Object.fromEntries(Object.keys(ds.secureJsonData).map((k) => [k, true])),
  });
  const names = new Map<string, string>();

  function proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    uid: string,
    rest: string,
    search: string
  ) {
    const ds = datasources.get(uid);
    if (!ds) return sendJson(res, 404, { message: 'Data source not found' });
    const decision = planProxyRequest({
      ds,
      plugin: plugins.get(ds.pluginId)?.meta,
      proxyPath: rest,
      search,
      method: req.method ?? 'GET',
      role,
      incomingHeaders: req.headers,
    });
    if (decision.kind === 'deny') {
      proxyLog.push({ uid, path: rest, status: decision.status });
      return sendJson(res, decision.status, { message: decision.message });
    }
    const { target } = decision;
    const client = target.protocol === 'https:' ? https : http;
    const upstream = client.request(
      target,
      { method: req.method, headers: decision.headers, timeout: 30_000 },
      (up) => {
        proxyLog.push({
          uid,
          path: rest,
          status: up.statusCode ?? 502,
          target: target.origin + target.pathname,
        });
        const headers = { ...up.headers };
        delete headers['set-cookie'];
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      }
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (err) => {
      proxyLog.push({ uid, path: rest, status: 502, target: target.origin + target.pathname });
      if (!res.headersSent) sendJson(res, 502, { message: `Bad Gateway: ${err.message}` });
      else res.destroy();
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = url.pathname;
    try {
      if (p === '/' || p === '/index.html') return send(res, 200, hostHtml(hostConfig()), MIME['.html']);
      if (p.startsWith('/host/')) return serveFile(res, bundleDir, p.slice('/host/'.length));
      if (p.startsWith('/public/fonts/')) return serveFont(res, p);
      if (p.startsWith('/public/build/img/icons/')) {
        const rel = p.slice('/public/build/img/icons/'.length);
        const builtIn = CORE_ICONS[rel];
        if (builtIn && !fs.existsSync(path.join(iconsDir, rel))) return send(res, 200, builtIn, MIME['.svg']);
        return serveFile(res, iconsDir, rel);
      }
      const pluginMatch = /^\/public\/plugins\/([^/]+)\/(.+)$/.exec(p);
      if (pluginMatch) {
        const plugin = plugins.get(pluginMatch[1] ?? '');
        if (!plugin) return send(res, 404, 'plugin not found');
        return serveFile(res, plugin.distDir, pluginMatch[2] ?? '');
      }
      const proxyMatch = /^\/api\/datasources\/proxy\/uid\/([^/]+)(\/.*)?$/.exec(p);
      if (proxyMatch)
        return proxy(req, res, decodeURIComponent(proxyMatch[1] ?? ''), proxyMatch[2] ?? '', url.search);
      if (p === '/api/ds/query' && req.method === 'POST') {
        return answer(
          res,
          readBody(req).then((buf) =>
            backends.query(JSON.parse(buf.toString('utf8') || '{}') as unknown, backendDs, role)
          )
        );
      }
      const backendMatch = /^\/api\/datasources\/uid\/([^/]+)\/(health|resources)(\/.*)?$/.exec(p);
      if (backendMatch) {
        const ds = backendDs(decodeURIComponent(backendMatch[1] ?? ''));
        if (!ds) return sendJson(res, 404, { message: 'Data source not found or has no backend' });
        if (backendMatch[2] === 'health') return answer(res, backends.health(ds, role));
        return answer(
          res,
          readBody(req).then((buf) =>
            backends.resource(ds, role, req.method ?? 'GET', backendMatch[3] ?? '', url.search, buf)
          )
        );
      }
      const dsMatch = /^\/api\/datasources\/uid\/([^/]+)$/.exec(p);
      if (dsMatch) {
        const ds = datasources.get(decodeURIComponent(dsMatch[1] ?? ''));
        return ds
          ? sendJson(res, 200, info(ds, names.get(ds.uid) ?? ds.uid))
          : sendJson(res, 404, { message: 'Data source not found' });
      }
      if (p === '/api/user') return sendJson(res, 200, { id: 1, login: 'harness', orgId: 1, orgRole: role });
      if (p === '/api/health') return sendJson(res, 200, { database: 'ok', version: grafanaVersion });
      return send(res, 404, 'not found');
    } catch (err) {
      return send(res, 500, err instanceof Error ? err.message : 'internal error');
    }
  });
  // Grafana Live's browser side: the page's GrafanaLiveSrv subscribes to plugin channels over a WebSocket.
  const live = attachLiveSocket(server, { backends, datasource: backendDs, role: () => role });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const self: HostServer = {
    url: `http://127.0.0.1:${port}`,
    leg,
    plugins,
    proxyLog,
    get role() {
      return role;
    },
    set role(r: OrgRole) {
      role = r;
    },
    registerDatasource(pluginId, spec) {
      const plugin = plugins.get(pluginId);
      if (!plugin) throw new Error(`plugin ${pluginId} is not built (no dist/plugin.json)`);
      if (plugin.meta.type !== 'datasource')
        throw new Error(`plugin ${pluginId} is a ${plugin.meta.type}, not a datasource`);
      const uid = spec.uid ?? `ds-${randomUUID().slice(0, 8)}`;
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(uid))
        throw new Error(`invalid datasource uid ${JSON.stringify(uid)}`);
      const ds: ProxyDatasource = {
        uid,
        pluginId,
        ...(spec.url ? { url: spec.url } : {}),
        jsonData: { ...(spec.jsonData ?? {}) },
        secureJsonData: { ...(spec.secureJsonData ?? {}) },
      };
      datasources.set(uid, ds);
      names.set(uid, spec.name ?? uid);
      updatedAt.set(uid, Date.now());
      return info(ds, spec.name ?? uid);
    },
    liveStats: () => live.stats(),
    liveHub: (pluginId) => backends.live(pluginId),
    async close() {
      live.close();
      await backends.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  return self;
}
