/**
 * Org isolation through the tenancy proxy, evaluated by a real Prometheus (Debian's): Prometheus
 * scrapes one target exposing a series of org acme (value 111), of org globex (222) and one without
 * an org (333). With globex's key, no crafted query, selector or endpoint returns 111 or 333, or a
 * series of another org. The same queries sent straight to Prometheus do return them (so the
 * checks can fail).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../collab-server/test/infra/ports.js';
import { createPrometheusProxy } from '../src/prometheus/proxy.js';

const GLOBEX_KEY = 'globex-tenancy-key-0123456789abcdefghij';
const ACME_KEY = 'acme-tenancy-key-0123456789abcdefghijkl';
const EXPOSITION = [
  '# TYPE collab_active_connections gauge',
  'collab_active_connections{org="acme",room_id="roadmap"} 111',
  'collab_active_connections{org="globex",room_id="plans"} 222',
  '# TYPE collab_build_info gauge',
  'collab_build_info{version="1"} 333',
  '',
].join('\n');

let tmp: string;
let prom: ChildProcess | undefined;
let target: http.Server;
let proxy: http.Server;
let promUrl: string;
/** One evaluation time for every instant query, at which all three samples are known to exist. */
let evalTime: number;
let proxyUrl: string;

beforeAll(async () => {
  expect(
    spawnSync('prometheus', ['--version']).status,
    'prometheus on PATH (scripts/ensure-system-deps.sh)'
  ).toBe(0);
  tmp = mkdtempSync(join(tmpdir(), 'gw-prom-'));
  target = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION)
  );
  const targetPort = await freePort();
  await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
  const promPort = await freePort();
  writeFileSync(
    join(tmp, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: t\n    honor_labels: true\n    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]\n`
  );
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(tmp, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(tmp, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' }
  );
  promUrl = `http://127.0.0.1:${promPort}`;
  proxy = createPrometheusProxy({
    upstream: promUrl,
    keys: [
      { key: GLOBEX_KEY, org: 'globex' },
      { key: ACME_KEY, org: 'acme' },
    ],
  });
  const proxyPort = await freePort();
  await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  // Both orgs' samples and the org-less one are in Prometheus at evalTime (a scrape at or before it).
  await waitFor(
    async () => {
      evalTime = Math.floor(Date.now() / 1000);
      const r = await fetch(
        `${promUrl}/api/v1/query?time=${evalTime}&query=${encodeURIComponent('count({__name__=~"collab_.*"})')}`
      );
      const j = (await r.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      return j.data?.result?.[0]?.value[1] === '3';
    },
    45_000,
    'Prometheus to scrape the target',
    200
  );
});

afterAll(async () => {
  prom?.kill('SIGKILL');
  await new Promise((r) => proxy?.close(r));
  await new Promise((r) => target?.close(r));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function ask(
  base: string,
  path: string,
  params: Record<string, string | string[]>,
  key = GLOBEX_KEY,
  method: 'GET' | 'POST' = 'POST'
): Promise<{ status: number; text: string }> {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  const r =
    method === 'GET'
      ? await fetch(`${base}${path}?${p}`, { headers })
      : await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: p.toString(),
        });
  return { status: r.status, text: await r.text() };
}

/** Leaks: acme's or the org-less sample value, or a series labelled with an org other than globex. */
function leaks(text: string): string[] {
  const found: string[] = [];
  if (text.includes('"111"')) found.push('acme value 111');
  if (text.includes('"333"')) found.push('org-less value 333');
  if (/"org":"(?!globex")/.test(text) && !text.includes('"status":"error"'))
    found.push('a series of another org');
  return found;
}

const now = (): string => String(evalTime);
const CRAFTED = [
  '{org="acme"}',
  'collab_active_connections{org="acme"}',
  'collab_active_connections{org=~"acme|globex"}',
  'collab_active_connections{org!="globex"}',
  '{__name__=~".+"}',
  'collab_build_info',
  'collab_active_connections or on() collab_build_info',
  'collab_active_connections{org="globex"} or collab_active_connections{org="acme"}',
  'collab_active_connections unless collab_active_connections{org="globex"}',
  'label_replace(collab_active_connections{org="acme"}, "org", "globex", "", "")',
  'label_replace(collab_active_connections, "leak", "$1", "org", "(.*)")',
  'count by (org) ({__name__=~"collab_.*"})',
  'sum by (org) (collab_active_connections)',
  'max_over_time(collab_active_connections{org="acme"}[1m:1s])',
  'max_over_time({__name__=~"collab_.*"}[30s])',
  'collab_active_connections + on() group_left collab_build_info',
  'absent(collab_active_connections{org="acme"})',
  'vector(1) * on() group_left(org) collab_active_connections{org="acme"}',
  'sort_desc(topk(5, {__name__!=""}))',
];

describe('tenancy proxy on a real Prometheus', () => {
  it('the crafted queries do read other orgs straight from Prometheus (the checks below can fail)', async () => {
    let leaking = 0;
    for (const q of CRAFTED)
      if (leaks((await ask(promUrl, '/api/v1/query', { query: q, time: now() })).text).length > 0) leaking++;
    expect(leaking).toBeGreaterThanOrEqual(10);
  });

  it.each(CRAFTED)('globex reads nothing of acme or org-less series: %s', async (q) => {
    for (const [path, extra] of [
      ['/api/v1/query', { time: now() }],
      ['/api/v1/query_range', { start: String(Number(now()) - 30), end: now(), step: '5' }],
    ] as const) {
      const r = await ask(proxyUrl, path, { query: q, ...extra });
      expect(leaks(r.text), `${path} ${q}: ${r.text.slice(0, 300)}`).toEqual([]);
    }
  });

  it('globex sees its own series', async () => {
    const r = await ask(
      proxyUrl,
      '/api/v1/query',
      { query: 'collab_active_connections', time: now() },
      GLOBEX_KEY,
      'GET'
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain('"222"');
    const a = await ask(
      proxyUrl,
      '/api/v1/query',
      { query: 'collab_active_connections', time: now() },
      ACME_KEY
    );
    expect(a.text).toContain('"111"');
    expect(a.text).not.toContain('"222"');
  });

  it('series, labels and label values are restricted too', async () => {
    const range = { start: String(evalTime - 60), end: now() };
    const series = await ask(proxyUrl, '/api/v1/series', {
      'match[]': ['{org="acme"}', '{__name__=~".+"}'],
      ...range,
    });
    expect(series.status).toBe(200);
    expect(series.text).not.toContain('acme');
    expect(series.text).not.toContain('collab_build_info');
    expect(series.text).toContain('globex');
    const values = await ask(proxyUrl, '/api/v1/label/org/values', range);
    expect(JSON.parse(values.text).data).toEqual(['globex']);
    const names = await ask(proxyUrl, '/api/v1/label/__name__/values', {
      'match[]': '{__name__=~".+"}',
      ...range,
    });
    expect(JSON.parse(names.text).data).toEqual(['collab_active_connections']);
    const labels = await ask(proxyUrl, '/api/v1/labels', range);
    expect(JSON.parse(labels.text).data).not.toContain('version');
  });

  it('refuses without a key, with a wrong key, on other endpoints and with invalid PromQL', async () => {
    expect((await ask(proxyUrl, '/api/v1/query', { query: 'up' }, 'not-a-key')).status).toBe(401);
    expect((await fetch(`${proxyUrl}/api/v1/query?query=up`)).status).toBe(401);
    for (const path of [
      '/api/v1/admin/tsdb/delete_series',
      '/api/v1/rules',
      '/api/v1/targets',
      '/federate',
      '/api/v1/status/config',
    ]) {
      expect((await ask(proxyUrl, path, { 'match[]': '{org="acme"}' })).status, path).toBe(403);
    }
    const bad = await ask(proxyUrl, '/api/v1/query', { query: 'sum(' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ status: 'error', errorType: 'bad_data' });
    const expr = await ask(proxyUrl, '/api/v1/series', { 'match[]': 'sum(collab_active_connections)' });
    expect(expr.status).toBe(400);
  });
});
