/**
 * The HTTP side of the extension, answered from Hocuspocus's `onRequest`: `GET /metrics` (the collab
 * taxonomy, OpenMetrics when asked for) and, with inspect on, the inspect token routes
 * (`POST /api/inspect/token`, `.../content`, `.../metadata`, authenticated by an org API key and decided
 * by the monitor's `answerTokenRequest`, as on the pod). Any other request is left to the next
 * extension and Hocuspocus's default answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, INSPECT_TOKEN_PATH, type InspectScope } from '@collabblocks/protocol';
import { answerTokenRequest, type OrgKeyAuth } from '@collabblocks/monitor';

export type Handled = 'handled' | 'pass';

export interface TokenRoutes {
  secret: Uint8Array;
  authenticateOrgKey(req: IncomingMessage): OrgKeyAuth | null;
}

export interface HttpRoutes {
  metricsPath: string;
  renderMetrics(accept: string | undefined): Promise<{ contentType: string; body: string }>;
  /** Absent: no inspect, the token paths are not ours. */
  tokens?: TokenRoutes;
}

const TOKEN_SCOPES: ReadonlyMap<string, InspectScope | undefined> = new Map([
  [INSPECT_TOKEN_PATH, undefined],
  [`${INSPECT_TOKEN_PATH}/content`, 'content'],
  [`${INSPECT_TOKEN_PATH}/metadata`, 'metadata'],
]);
/** Token request bodies are tiny (`{scope, ttlSeconds}`). */
const MAX_TOKEN_BODY = 4096;

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** The JSON body, bounded; `undefined` when empty. Throws a status + message on a bad body. */
async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw { status: 413, error: `request body larger than ${max} bytes` };
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw { status: 400, error: 'request body is not valid JSON' };
  }
}

async function answerToken(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: TokenRoutes,
  scope: InspectScope | undefined
): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  const auth = tokens.authenticateOrgKey(req);
  let body: unknown;
  try {
    // No key: answered before the body is read.
    body = auth ? await readJson(req, MAX_TOKEN_BODY) : undefined;
  } catch (err) {
    const e = err as { status?: number; error?: string };
    sendJson(res, e.status ?? 400, { error: e.error ?? errorMessage(err) });
    return;
  }
  const answer = await answerTokenRequest(tokens.secret, auth, body, scope);
  sendJson(res, answer.status, answer.body);
}

/** Answers the request when it is one of ours. */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  routes: HttpRoutes
): Promise<Handled> {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  if (routes.tokens && TOKEN_SCOPES.has(path)) {
    await answerToken(req, res, routes.tokens, TOKEN_SCOPES.get(path));
    return 'handled';
  }
  if (path !== routes.metricsPath) return 'pass';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return 'handled';
  }
  try {
    const { contentType, body } = await routes.renderMetrics(req.headers.accept);
    send(res, 200, contentType, req.method === 'HEAD' ? '' : body);
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `metrics render failed: ${errorMessage(err)}\n`);
  }
  return 'handled';
}
