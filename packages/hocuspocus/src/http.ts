/**
 * The HTTP side of the extension, answered from Hocuspocus's `onRequest`: `GET /metrics` (the collab
 * taxonomy, OpenMetrics when asked for). A request for any other path is left to the next extension
 * and Hocuspocus's default answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@collabblocks/protocol';

export type Handled = 'handled' | 'pass';

export interface HttpRoutes {
  metricsPath: string;
  renderMetrics(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Answers the request when it is one of ours. */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  routes: HttpRoutes
): Promise<Handled> {
  const path = (req.url ?? '/').split('?', 1)[0];
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
