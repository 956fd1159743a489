// E2E self-test of the harness with its fixture datasource (e2e/harness/fixtures/test-datasource): plugin
// loading through SystemJS, the query Observable lifecycle, the data proxy (routes, reqRole, secrets), template
// variables, metricFindQuery, annotations, editors, console-error capture. Run per leg (HARNESS_LEG).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type DatasourceHandle, type Harness, startHarness } from '@collabblocks/e2e-harness';

const PLUGIN_ID = 'collabblocks-harnesstest-datasource';
const API_KEY = 'test-api-key-4f1c';

/** An upstream HTTP endpoint that records what the proxy forwarded. */
interface FakePod {
  url: string;
  requests: Array<{ path: string; authorization?: string; cookie?: string }>;
  close(): Promise<void>;
}

async function startFakePod(): Promise<FakePod> {
  const requests: FakePod['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({
      path: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe(`harness (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;
  let pod: FakePod;
  let ds: DatasourceHandle;

  beforeAll(async () => {
    pod = await startFakePod();
    h = await startHarness();
    ds = await h.createDatasource(PLUGIN_ID, {
      uid: 'harness-e2e',
      name: 'Harness E2E',
      jsonData: { upstreamUrl: pod.url, tenant: 'acme' },
      secureJsonData: { apiKey: API_KEY },
    });
  });

  afterEach(async () => {
    await h.reset();
    expect(h.takeConsoleErrors()).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
    await pod?.close();
  });

  it('instantiates from dist/module.js; the browser sees secureJsonFields, never the secret', async () => {
    expect(ds.settings.secureJsonFields).toEqual({ apiKey: true });
    expect(JSON.stringify(ds.settings)).not.toContain(API_KEY);
    expect(await h.page.content()).not.toContain(API_KEY);
  });

  it('query() emits a live stream with interpolated variables; unsubscribe tears it down', async () => {
    await h.setTemplateVariables({ room: 'acme/design' });
    const q = await h.runQuery(ds.uid, [{ text: '$room' }], {
      range: { from: 'now-1h', to: 'now' },
    });
    const emissions = await q.waitForEmissions(2, 5_000);
    const frame = emissions[1]?.frames[0];
    expect(emissions[0]?.state).toBe('Streaming');
    expect(frame?.refId).toBe('A');
    expect(frame?.fields.find((f) => f.name === 'text')?.values).toEqual(['acme/design']);
    const stopped = await q.unsubscribe();
    expect(stopped.unsubscribed).toBe(true);
    await new Promise((r) => setTimeout(r, 800));
    expect((await q.emissions()).length).toBe(stopped.emissions.length);
  });

  it('testDatasource goes through the data proxy route with the secret injected server-side', async () => {
    pod.requests.length = 0;
    const result = await h.testDatasource(ds.uid);
    expect(result.status).toBe('success');
    expect(pod.requests).toEqual([{ path: '/healthz', authorization: `Bearer ${API_KEY}` }]);
    expect(h.server.proxyLog.at(-1)).toMatchObject({ uid: ds.uid, path: '/upstream/healthz', status: 200 });
  });

  it("enforces a route's reqRole against the current user role", async () => {
    const call = () =>
      h.page.evaluate(
        async (uid) => (await fetch(`/api/datasources/proxy/uid/${uid}/upstream-admin/stats`)).status,
        ds.uid
      );
    await h.setUserRole('Viewer');
    expect(await call()).toBe(403);
    expect(h.takeConsoleErrors()).toEqual([expect.stringContaining('403')]);
    await h.setUserRole('Admin');
    pod.requests.length = 0;
    expect(await call()).toBe(200);
    expect(pod.requests[0]?.path).toBe('/admin/stats?tenant=acme');
    expect(pod.requests[0]?.authorization).toBeUndefined();
  });

  it('answers metricFindQuery and annotation queries', async () => {
    await h.setTemplateVariables({ rooms: ['a', 'b'] });
    expect(await h.metricFindQuery(ds.uid, { text: '$rooms' })).toEqual([
      { text: 'a', value: 'a' },
      { text: 'b', value: 'b' },
    ]);
    const anno = await h.runAnnotationQuery(ds.uid, { target: { refId: 'Anno', text: 'deploy' } });
    expect(anno.frames[0]?.fields.map((f) => f.name)).toEqual(['time', 'tick', 'text']);
    expect(anno.frames[0]?.fields[2]?.values).toEqual(['deploy']);
  });

  it('renders ConfigEditor and QueryEditor (dark and light)', async () => {
    for (const theme of ['dark', 'light'] as const) {
      const config = await h.renderConfigEditor(ds.uid, { theme });
      await expect.poll(() => config.locator.locator('#harness-upstream').inputValue()).toBe(pod.url);
      await h.screenshot(`harness-config-${theme}`, config.locator);
      const editor = await h.renderQueryEditor(ds.uid, { text: 'a' }, { theme });
      await editor.locator.locator('#harness-query-text').fill('b');
      await editor.locator.locator('#harness-query-text').blur();
      const state = await editor.state();
      expect(state.queries.at(-1)).toMatchObject({ text: 'b' });
      expect(state.runs).toBe(1);
      await h.screenshot(`harness-query-${theme}`, editor.locator);
    }
    const config = await h.renderConfigEditor(ds.uid);
    await config.locator.locator('#harness-upstream').fill('http://upstream.example:1234');
    const state = (await config.state()) as { options?: { jsonData?: { upstreamUrl?: string } } };
    expect(state.options?.jsonData?.upstreamUrl).toBe('http://upstream.example:1234');
  });

  it('collects browser console errors and uncaught page errors', async () => {
    await h.page.evaluate(() => {
      console.error('boom from the page');
      setTimeout(() => {
        throw new Error('uncaught boom');
      }, 0);
    });
    await expect.poll(() => h.consoleErrors().length).toBe(2);
    expect(h.takeConsoleErrors()).toEqual([
      expect.stringContaining('boom from the page'),
      expect.stringContaining('uncaught boom'),
    ]);
  });

  it('exposes the shared modules plugins import under their bare names', async () => {
    const names = await h.page.evaluate(() => window.__harness!.sharedModuleNames);
    expect(names).toEqual(
      expect.arrayContaining([
        'react',
        'react-dom',
        '@grafana/data',
        '@grafana/ui',
        '@grafana/runtime',
        'rxjs',
      ])
    );
    const version = await h.page.evaluate(() => window.__harness!.grafanaVersion);
    expect(version.split('.')[0]).toBe(h.leg === 'grafana-12' ? '12' : '13');
  });
});
