// Emulation of Grafana's datasource proxy (`/api/datasources/proxy/uid/<uid>/<path>`) for plugin.json routes:
// route matching, reqRole enforcement, {{ .JsonData.x }} / {{ .SecureJsonData.x }} templating of url, headers and
// urlParams — all server-side, so the browser never sees secure values.
import type { IncomingHttpHeaders } from 'node:http';

import type { OrgRole, PluginJsonMeta, PluginJsonRoute } from '../shared/types.js';

export interface ProxyDatasource {
  uid: string;
  pluginId: string;
  url?: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export type ProxyDecision =
  | { kind: 'forward'; target: URL; headers: Record<string, string>; route?: PluginJsonRoute }
  | { kind: 'deny'; status: number; message: string };

const ROLE_RANK: Record<string, number> = { Viewer: 1, Editor: 2, Admin: 3 };

/** Grafana's role check: Admin ⊃ Editor ⊃ Viewer. Unknown required roles deny. */
export function roleSatisfies(userRole: OrgRole, required: string | undefined): boolean {
  if (!required) return true;
  const need = ROLE_RANK[required];
  return need !== undefined && (ROLE_RANK[userRole] ?? 0) >= need;
}

const TEMPLATE = /\{\{\s*\.(JsonData|SecureJsonData)\.([A-Za-z0-9_]+)\s*\}\}/g;

/** Interpolates `{{ .JsonData.key }}` / `{{ .SecureJsonData.key }}`; missing keys become ''. */
export function interpolateRouteTemplate(template: string, ds: ProxyDatasource): string {
  return template.replace(TEMPLATE, (_m, scope: string, key: string) => {
    const source: Record<string, unknown> = scope === 'JsonData' ? ds.jsonData : ds.secureJsonData;
    const value = source[key];
    return value === undefined || value === null ? '' : String(value);
  });
}

/** Longest route `path` that prefixes `proxyPath` and accepts the method (Grafana matches by prefix). */
export function matchRoute(
  routes: readonly PluginJsonRoute[],
  proxyPath: string,
  method: string
): PluginJsonRoute | undefined {
  const clean = proxyPath.replace(/^\/+/, '');
  let best: PluginJsonRoute | undefined;
  for (const route of routes) {
    const routePath = route.path.replace(/^\/+/, '');
    if (!clean.startsWith(routePath)) continue;
    const rest = clean.slice(routePath.length);
    if (routePath !== '' && rest !== '' && !rest.startsWith('/') && !routePath.endsWith('/')) continue;
    if (route.method && route.method !== '*' && route.method.toUpperCase() !== method.toUpperCase()) continue;
    if (!best || routePath.length > best.path.replace(/^\/+/, '').length) best = route;
  }
  return best;
}

function joinUrl(base: string, rest: string, search: string): URL {
  const target = new URL(base);
  const restClean = rest.replace(/^\/+/, '');
  if (restClean) target.pathname = `${target.pathname.replace(/\/+$/, '')}/${restClean}`;
  const extra = new URLSearchParams(search);
  extra.forEach((v, k) => target.searchParams.append(k, v));
  return target;
}

/** Request headers that must not travel from the browser to the upstream. */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'cookie',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'origin',
  'referer',
  'content-length',
]);

export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Decides where a proxied request goes, or why it is refused. Pure: unit-testable without sockets. */
export function planProxyRequest(args: {
  ds: ProxyDatasource;
  plugin: PluginJsonMeta | undefined;
  proxyPath: string;
  search: string;
  method: string;
  role: OrgRole;
  incomingHeaders: IncomingHttpHeaders;
}): ProxyDecision {
  const { ds, plugin, proxyPath, search, method, role } = args;
  const headers = forwardableHeaders(args.incomingHeaders);
  headers['x-grafana-org-id'] = '1';
  const route = matchRoute(plugin?.routes ?? [], proxyPath, method);
  if (route) {
    if (!roleSatisfies(role, route.reqRole)) {
      return { kind: 'deny', status: 403, message: 'plugin proxy route access denied' };
    }
    const base = route.url ? interpolateRouteTemplate(route.url, ds) : ds.url;
    if (!base) return { kind: 'deny', status: 502, message: 'route has no url' };
    let target: URL;
    try {
      const rest = proxyPath.replace(/^\/+/, '').slice(route.path.replace(/^\/+/, '').length);
      target = joinUrl(base, rest, search);
    } catch {
      return { kind: 'deny', status: 502, message: 'route url is not a valid URL' };
    }
    for (const p of route.urlParams ?? [])
      target.searchParams.set(p.name, interpolateRouteTemplate(p.content, ds));
    for (const h of route.headers ?? [])
      headers[h.name.toLowerCase()] = interpolateRouteTemplate(h.content, ds);
    return { kind: 'forward', target, headers, route };
  }
  if (!ds.url)
    return { kind: 'deny', status: 404, message: 'no matching plugin route and no datasource url' };
  try {
    return { kind: 'forward', target: joinUrl(ds.url, proxyPath, search), headers };
  } catch {
    return { kind: 'deny', status: 502, message: 'datasource url is not a valid URL' };
  }
}
