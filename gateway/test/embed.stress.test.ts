/**
 * Iframe refresh stress, bounded: 200 embeds (two orgs) each refreshing every 5 s for 60 s through
 * the gateway — a fresh signed URL from the SaaS back-end (POST /api/grafana/signed_url), its open
 * (verify → cookie → 303) and the dashboard page with the session, against a stand-in for Grafana.
 * Asserts zero errors and that every page reached Grafana as its own org's viewer; prints latency
 * figures (a measurement, not a timing assertion). STRESS_SECONDS / STRESS_EMBEDS shorten it locally.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmbedGateway, embedViewer } from '../src/embed/gateway.js';

const SECONDS = Number(process.env.STRESS_SECONDS ?? 60);
const EMBEDS = Number(process.env.STRESS_EMBEDS ?? 200);
const REFRESH_MS = 5_000;
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
let wrongIdentity = 0;

beforeAll(async () => {
  grafana = http.createServer((req, res) => {
    const org = new URL(req.url ?? '/', 'http://g').searchParams.get('var-org');
    if (
      req.headers['x-webauth-user'] !== embedViewer(org ?? '') ||
      req.headers['x-grafana-org-id'] !== String(GRAFANA_ORG.get(org ?? ''))
    )
      wrongIdentity++;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>dashboard</body></html>');
  });
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
  gateway = createEmbedGateway({
    orgs: ORGS,
    grafanaOrgId: (o) => GRAFANA_ORG.get(o),
    grafana: `http://127.0.0.1:${(grafana.address() as { port: number }).port}`,
    publicUrl: 'http://127.0.0.1',
    sessionSecret: 'gateway-session-secret-0123456789abcdefghij',
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => gateway.close(r));
  await new Promise((r) => grafana.close(r));
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

it(
  `${EMBEDS} embeds refreshing every 5 s for ${SECONDS} s: zero errors`,
  { timeout: (SECONDS + 60) * 1000 },
  async () => {
    const lat = { sign: [] as number[], open: [] as number[], page: [] as number[] };
    const errors: string[] = [];
    let refreshes = 0;
    const end = Date.now() + SECONDS * 1000;

    async function refresh(i: number): Promise<void> {
      const org = ORGS[i % ORGS.length]!;
      let t = performance.now();
      const s = await request(
        'POST',
        '/api/grafana/signed_url',
        { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
        JSON.stringify({ dashboard: 'collab-org-admin', room: `${org.id}/room-${i}` })
      );
      lat.sign.push(performance.now() - t);
      if (s.status !== 200) throw new Error(`signed_url ${s.status} ${s.body.slice(0, 100)}`);
      const url = (JSON.parse(s.body) as { url: string }).url.replace(/^https?:\/\/[^/]+/, '');
      t = performance.now();
      const o = await request('GET', url, {});
      lat.open.push(performance.now() - t);
      if (o.status !== 303) throw new Error(`open ${o.status} ${o.body.slice(0, 100)}`);
      const cookie = String(o.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
      t = performance.now();
      const p = await request('GET', String(o.headers.location), { cookie });
      lat.page.push(performance.now() - t);
      if (p.status !== 200) throw new Error(`page ${p.status} ${p.body.slice(0, 100)}`);
      refreshes++;
    }

    async function embed(i: number): Promise<void> {
      // Spread the first loads over one refresh period, like iframes opened at different times.
      await new Promise((r) => setTimeout(r, (i * REFRESH_MS) / EMBEDS));
      while (Date.now() < end) {
        const started = Date.now();
        await refresh(i).catch((err: unknown) => errors.push(String(err)));
        await new Promise((r) => setTimeout(r, Math.max(0, REFRESH_MS - (Date.now() - started))));
      }
    }

    await Promise.all(Array.from({ length: EMBEDS }, (_, i) => embed(i)));
    const fmt = (xs: number[]): string =>
      `p50 ${pct(xs, 50).toFixed(1)} / p95 ${pct(xs, 95).toFixed(1)} / p99 ${pct(xs, 99).toFixed(1)} / max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(
      `[stress] ${EMBEDS} embeds × every ${REFRESH_MS / 1000} s × ${SECONDS} s: ${refreshes} refreshes, ${errors.length} errors\n` +
        `  signed_url ${fmt(lat.sign)}\n  open (verify + cookie) ${fmt(lat.open)}\n  dashboard via proxy ${fmt(lat.page)}`
    );
    expect(errors.slice(0, 5)).toEqual([]);
    expect(wrongIdentity).toBe(0);
    // Every embed refreshed about SECONDS/5 times (at least half of that even on a loaded machine).
    expect(refreshes).toBeGreaterThanOrEqual((EMBEDS * SECONDS) / 5 / 2);
  }
);
