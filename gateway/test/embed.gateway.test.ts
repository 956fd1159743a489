/**
 * The embed gateway over HTTP and WebSocket, with an upstream standing in for Grafana that records
 * the identity each request arrives with (only a real Grafana can show the dashboards themselves).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createEmbedGateway, embedViewer } from '../src/embed/gateway.js';

const ORGS = [
  {
    id: 'acme',
    apiKey: 'acme-api-key-0123456789abcdefghijklmnopq',
    signingKey: 'acme-signing-key-0123456789abcdefghijklmn',
  },
  {
    id: 'globex',
    apiKey: 'globex-api-key-0123456789abcdefghijklmno',
    signingKey: 'globex-signing-key-0123456789abcdefghijkl',
  },
];
const GRAFANA_ORG = new Map([
  ['acme', 2],
  ['globex', 3],
]);

let grafana: http.Server;
let gateway: http.Server;
let base: string;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
const wsSeen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  grafana = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res
      .writeHead(200, { 'content-type': 'text/html', 'x-frame-options': 'deny' })
      .end(`<html>dashboard ${req.url}</html>`);
  });
  const wss = new WebSocketServer({ server: grafana });
  wss.on('connection', (ws, req) => {
    wsSeen.push(req.headers);
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
  });
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
  const gport = (grafana.address() as { port: number }).port;
  gateway = createEmbedGateway({
    orgs: ORGS,
    grafanaOrgId: (o) => GRAFANA_ORG.get(o),
    grafana: `http://127.0.0.1:${gport}`,
    publicUrl: 'http://127.0.0.1',
    sessionSecret: 'gateway-session-secret-0123456789abcdefghij',
    frameAncestors: ['https://app.example.com'],
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => gateway.close(r));
  await new Promise((r) => grafana.close(r));
});

async function signedUrl(
  apiKey: string,
  body: object
): Promise<{ status: number; json: { url?: string; error?: string; expiresAt?: string } }> {
  const r = await fetch(`${base}/api/grafana/signed_url`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as { url?: string; error?: string } };
}

/** Opens a signed URL like an iframe would: returns the session cookie and where it redirects. */
async function open(
  url: string
): Promise<{ status: number; cookie?: string; location?: string; error?: string }> {
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  const r = await fetch(`${base}${path}`, { redirect: 'manual' });
  const setCookie = r.headers.get('set-cookie') ?? undefined;
  return {
    status: r.status,
    cookie: setCookie?.split(';')[0],
    location: r.headers.get('location') ?? undefined,
    error: r.status >= 400 ? ((await r.json()) as { error: string }).error : undefined,
  };
}

describe('embed gateway', () => {
  it('signs a URL for the org of the API key, opens it once, then serves Grafana as that org’s viewer', async () => {
    const s = await signedUrl(ORGS[0]!.apiKey, {
      dashboard: 'collab-org-admin',
      room: 'acme/roadmap',
      theme: 'light',
    });
    expect(s.status).toBe(200);
    expect(s.json.url).toMatch(/^http:\/\/127\.0\.0\.1\/embed\/d\/collab-org-admin\?/);
    expect(Date.parse(s.json.expiresAt!) - Date.now()).toBeLessThanOrEqual(900_000);
    const o = await open(s.json.url!);
    expect(o.status).toBe(303);
    expect(o.location).toBe(
      '/d/collab-org-admin?orgId=2&var-org=acme&var-room=acme%2Froadmap&theme=light&kiosk='
    );
    const page = await fetch(`${base}${o.location}`, {
      headers: {
        cookie: `${o.cookie}; grafana_session=abc`,
        'x-webauth-user': 'admin',
        'x-grafana-org-id': '1',
        authorization: 'Basic YWRtaW46YWRtaW4=',
      },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBeNull();
    expect(page.headers.get('content-security-policy')).toBe(
      "frame-ancestors 'self' https://app.example.com"
    );
    const last = seen.at(-1)!;
    // The client's own identity claims are gone; the gateway's are the only ones.
    expect(last.headers['x-webauth-user']).toBe(embedViewer('acme'));
    expect(last.headers['x-grafana-org-id']).toBe('2');
    expect(last.headers.authorization).toBeUndefined();
    expect(last.headers.cookie).toBe('grafana_session=abc');
    // A second open of the same URL is a replay.
    expect((await open(s.json.url!)).error).toBe('replayed');
  });

  it('refuses without a session, with a forged session, a wrong API key or a room of another org', async () => {
    expect((await fetch(`${base}/d/collab-org-admin`)).status).toBe(401);
    const forged = await fetch(`${base}/api/dashboards/uid/x`, {
      headers: { cookie: 'collab_embed=eyJhIjoxfQ.AAAA' },
    });
    expect(forged.status).toBe(401);
    expect((await signedUrl('nope', { dashboard: 'd' })).status).toBe(401);
    expect((await signedUrl(ORGS[1]!.apiKey, { dashboard: 'd', room: 'acme/roadmap' })).json.error).toBe(
      'cross_org'
    );
    expect((await signedUrl(ORGS[1]!.apiKey, { dashboard: 'd', ttlSeconds: 3600 })).json.error).toBe(
      'lifetime_exceeded'
    );
    const tampered = (
      await signedUrl(ORGS[1]!.apiKey, { dashboard: 'd', room: 'globex/plans' })
    ).json.url!.replace('globex%2Fplans', 'acme%2Froadmap');
    expect((await open(tampered)).error).toBe('bad_signature');
  });

  it('an org B session never reaches Grafana as org A, whatever the request says', async () => {
    const s = await signedUrl(ORGS[1]!.apiKey, { dashboard: 'collab-org-admin' });
    const o = await open(s.json.url!);
    const n = seen.length;
    await fetch(`${base}/d/collab-org-admin?orgId=2&var-org=acme`, {
      headers: { cookie: o.cookie!, 'x-grafana-org-id': '2' },
    });
    await fetch(`${base}/api/ds/query?orgId=2`, {
      method: 'POST',
      headers: { cookie: o.cookie!, 'content-type': 'application/json' },
      body: '{}',
    });
    const after = seen.slice(n);
    expect(after).toHaveLength(2);
    for (const r of after) {
      expect(r.headers['x-webauth-user']).toBe(embedViewer('globex'));
      expect(r.headers['x-grafana-org-id']).toBe('3');
    }
  });

  it('proxies Grafana Live WebSockets with the session identity and refuses them without one', async () => {
    const s = await signedUrl(ORGS[0]!.apiKey, { dashboard: 'collab-org-admin' });
    const o = await open(s.json.url!);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/live/ws`, {
      headers: { cookie: o.cookie!, 'x-webauth-user': 'admin' },
    });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (m) => resolve(m.toString()));
      ws.on('error', reject);
    });
    ws.close();
    expect(reply).toBe('echo:hello');
    expect(wsSeen.at(-1)!['x-webauth-user']).toBe(embedViewer('acme'));
    expect(wsSeen.at(-1)!['x-grafana-org-id']).toBe('2');
    const refused = new WebSocket(`${base.replace('http', 'ws')}/api/live/ws`);
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    );
    expect(status).toBe(401);
  });
});
