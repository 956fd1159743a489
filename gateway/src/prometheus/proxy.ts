/**
 * The Prometheus tenancy proxy: each collab org's Grafana organisation has a Prometheus datasource
 * pointing here with that org's tenancy key (`Authorization: Bearer …`, a Grafana secure header the
 * org's own admins cannot read back). The key decides the org; every query and series selector is
 * restricted to `org="<org>"` (enforce.ts) before it reaches Prometheus. Only the read endpoints
 * Grafana's Prometheus datasource uses are served; anything else is refused with 403.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { errorMessage } from '@collabblocks/protocol';
import { createOrgKeyAuthenticator } from '@collabblocks/monitor';
import { enforceLabel, enforceSelector, PromqlError } from './enforce.js';

export interface PrometheusProxyOptions {
  /** Prometheus base URL, e.g. http://prometheus:9090 */
  upstream: string;
  /** Each org's tenancy key (its Prometheus datasource's `Authorization: Bearer …`). */
  keys: Array<{ org: string; key: string }>;
  /** The tenant label every series carries (the pod's `org`). */
  label?: string;
  /** Largest request body accepted (bytes). */
  maxBodyBytes?: number;
}

/** How each served endpoint's parameters are restricted, and whether Prometheus takes them as a POST form. */
type Rule = { query?: string[]; match?: 'optional' | 'required'; post: boolean };
const ENDPOINTS: Array<[RegExp, Rule]> = [
  [/^\/api\/v1\/query$/, { query: ['query'], post: true }],
  [/^\/api\/v1\/query_range$/, { query: ['query'], post: true }],
  [/^\/api\/v1\/query_exemplars$/, { query: ['query'], post: true }],
  [/^\/api\/v1\/series$/, { match: 'required', post: true }],
  [/^\/api\/v1\/labels$/, { match: 'optional', post: true }],
  [/^\/api\/v1\/label\/[^/]+\/values$/, { match: 'optional', post: false }],
  // Metadata: metric names, types and help texts (no samples, no label values); build info.
  [/^\/api\/v1\/metadata$/, { post: false }],
  [/^\/api\/v1\/status\/buildinfo$/, { post: false }],
];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string
  ) {
    super(message);
  }
}

function sendError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Prometheus's own error shape, so Grafana shows the message.
  const body = JSON.stringify({ status: 'error', errorType: err.errorType, error: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, 'bad_data', `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request's parameters with every query and selector restricted to `org`. */
export function restrictParams(
  rule: Rule,
  params: URLSearchParams,
  label: string,
  org: string
): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of params) {
    if (k === 'match[]') continue;
    if (rule.query?.includes(k)) out.append(k, enforceLabel(v, label, org));
    else out.append(k, v);
  }
  for (const k of rule.query ?? []) {
    if (!params.has(k)) throw new PromqlError(`missing parameter ${k}`);
  }
  if (rule.match) {
    const matches = params.getAll('match[]');
    if (matches.length === 0 && rule.match === 'required') throw new PromqlError('missing parameter match[]');
    // No selector given: the tenant's own series only.
    if (matches.length === 0) out.append('match[]', `{${label}=${JSON.stringify(org)}}`);
    for (const m of matches) out.append('match[]', enforceSelector(m, label, org));
  }
  return out;
}

export function createPrometheusProxy(opts: PrometheusProxyOptions): http.Server {
  const label = opts.label ?? 'org';
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const upstream = new URL(opts.upstream);
  const tenantOf = createOrgKeyAuthenticator(opts.keys.map((k) => ({ ...k, scope: 'metadata' as const })));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const org = tenantOf(req)?.org;
    if (!org)
      throw new HttpError(401, 'unauthorized', 'a valid tenancy key is required (Authorization: Bearer …)');
    const rule = ENDPOINTS.find(([re]) => re.test(url.pathname))?.[1];
    if (!rule) throw new HttpError(403, 'forbidden', `${url.pathname} is not served by the tenancy proxy`);
    if (req.method !== 'GET' && req.method !== 'POST')
      throw new HttpError(405, 'bad_data', 'GET or POST only');

    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const type = req.headers['content-type'] ?? '';
      const body = await readBody(req, maxBody);
      if (body.length > 0 && !type.startsWith('application/x-www-form-urlencoded')) {
        throw new HttpError(400, 'bad_data', 'POST bodies must be application/x-www-form-urlencoded');
      }
      for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    }
    let restricted: URLSearchParams;
    try {
      restricted = restrictParams(rule, params, label, org);
    } catch (err) {
      if (err instanceof PromqlError) throw new HttpError(400, 'bad_data', err.message);
      throw err;
    }
    await forward(url.pathname, restricted, rule.post, res);
  }

  function forward(path: string, params: URLSearchParams, post: boolean, res: ServerResponse): Promise<void> {
    const body = post ? params.toString() : '';
    const query = post || params.size === 0 ? '' : `?${params.toString()}`;
    return new Promise((resolve, reject) => {
      const up = http.request(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          path: `${upstream.pathname.replace(/\/$/, '')}${path}${query}`,
          method: post ? 'POST' : 'GET',
          headers: post
            ? {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              }
            : {},
          timeout: 60_000,
        },
        (upRes) => {
          const headers: http.OutgoingHttpHeaders = {};
          for (const h of ['content-type', 'content-encoding', 'content-length']) {
            if (upRes.headers[h] !== undefined) headers[h] = upRes.headers[h];
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          upRes.pipe(res);
          upRes.on('end', resolve);
          upRes.on('error', reject);
        }
      );
      up.on('timeout', () => up.destroy(new Error('Prometheus did not answer within 60 s')));
      up.on('error', (err) =>
        reject(new HttpError(502, 'unavailable', `Prometheus unreachable: ${errorMessage(err)}`))
      );
      up.end(body);
    });
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendError(res, err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error'));
    });
  });
}
