/**
 * HTTP surface of the pod (in process, via the `createServer` seam): health,
 * readiness with extension checks, metrics delegation, JSON errors, extra
 * routes and upgrade paths registered by other modules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CloseCode } from '@collabblocks/protocol';
import { closeCodeOf, openRaw } from './helpers/clients.js';
import { startInProcess, type InProcessPod } from './helpers/inproc.js';
import { TEST_API_KEYS } from './helpers/jwt.js';

describe('http', () => {
  let pod: InProcessPod;
  let redis: 'ok' | 'degraded' | 'fail' = 'ok';
  beforeAll(async () => {
    pod = await startInProcess();
    pod.server.http.addReadinessCheck('redis', () => ({ status: redis }));
    pod.server.http.route('POST', '/api/echo', async (req, res) => {
      const auth = pod.server.authenticateOrgKey(req);
      res.writeHead(auth ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(auth ?? { error: 'no' }));
    });
    const wss = new WebSocketServer({ noServer: true });
    pod.server.upgrade.register('/inspect', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => ws.close(4000, 'inspect handler'));
    });
  });
  afterAll(async () => {
    await pod?.close();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${pod.httpUrl}${path}`, init);

  it('GET /healthz → 200', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', pod: 'inproc' });
  });

  it('GET /readyz reports checks; degraded is ready, fail is 503', async () => {
    let res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ready: true,
      status: 'ok',
      checks: { storage: { status: 'ok' } },
    });
    redis = 'degraded';
    res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ready: true, status: 'degraded' });
    redis = 'fail';
    res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, checks: { redis: { status: 'fail' } } });
    redis = 'ok';
  });

  it('GET /metrics → 404 without a metrics endpoint, delegates once one is set', async () => {
    expect((await get('/metrics')).status).toBe(404);
    pod.server.setMetrics({
      render: async (accept) => ({
        contentType: accept?.includes('openmetrics') ? 'application/openmetrics-text' : 'text/plain',
        body: 'x 1\n',
      }),
    });
    const res = await get('/metrics', { headers: { accept: 'application/openmetrics-text' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text');
    expect(await res.text()).toBe('x 1\n');
  });

  it('unknown routes → 404 JSON, wrong method → 405 JSON', async () => {
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: 'not found' });
    const na = await get('/healthz', { method: 'POST' });
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('GET');
    expect(await na.json()).toEqual({ error: 'method POST not allowed' });
  });

  it('extra routes can reuse the org API key check', async () => {
    const ok = await get('/api/echo', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEYS.acmeContent.key}` },
    });
    expect(await ok.json()).toEqual({ org: 'acme', scope: 'content' });
    const bad = await get('/api/echo', { method: 'POST', headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('extra upgrade paths are routed to their handler; other paths are rooms', async () => {
    const r = await openRaw(`${pod.wsUrl}/inspect`);
    expect((await r.closed).code).toBe(4000);
    // `/inspectors/x` is not under `/inspect`, so it is a room path (and needs a token).
    expect((await closeCodeOf(`${pod.wsUrl}/inspectors/x`)).code).toBe(CloseCode.AUTH_MISSING);
  });
});
