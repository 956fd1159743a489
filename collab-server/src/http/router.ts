/**
 * Minimal HTTP router on node `http` (same port as the WebSocket endpoint).
 * Exact-path routes; unknown path → 404 JSON, known path with another method
 * → 405 JSON (with `Allow`), thrown errors → 500 JSON `{error}` (details are
 * logged, not returned). Other modules add routes with `route()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import { safeUrl } from '../observability/logger.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

export interface RouteContext {
  /** Parsed request URL (query included; never log it — use `safeUrl`). */
  url: URL;
}

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext
) => void | Promise<void>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** Reads a request body up to `maxBytes` (413 beyond) and parses it as JSON (400 if invalid). */
export async function readJsonBody(req: IncomingMessage, maxBytes = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

export class HttpRouter {
  private readonly routes = new Map<string, Map<string, RouteHandler>>();

  constructor(private readonly logger: Logger) {}

  /** Registers `handler` for `method path` (exact path match). Replaces an existing route. */
  route(method: HttpMethod, path: string, handler: RouteHandler): void {
    if (!path.startsWith('/')) throw new Error(`route path must start with /: ${path}`);
    let byMethod = this.routes.get(path);
    if (!byMethod) {
      byMethod = new Map();
      this.routes.set(path, byMethod);
    }
    byMethod.set(method, handler);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://pod.invalid');
    } catch {
      sendJson(res, 400, { error: 'invalid request URL' });
      return;
    }
    const byMethod = this.routes.get(url.pathname);
    if (!byMethod) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (!handler) {
      sendJson(
        res,
        405,
        { error: `method ${method} not allowed` },
        { allow: [...byMethod.keys()].join(', ') }
      );
      return;
    }
    try {
      await handler(req, res, { url });
    } catch (err) {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message });
        return;
      }
      this.logger.error(
        { method, path: safeUrl(req.url), err: (err as Error)?.message ?? String(err) },
        'http handler failed'
      );
      sendJson(res, 500, { error: 'internal error' });
    }
  }
}
