// E2E: the collab datasource loaded from its dist/module.js in the harness (run per leg: HARNESS_LEG), its
// backend started by the harness as Grafana starts it. No pod here: the settings, the health check and the
// absence of any route that would hand a browser a token (collab-datasource-live runs against real pods).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness } from '@collabblocks/e2e-harness';

const PLUGIN_ID = 'collabblocks-collab-datasource';
const API_KEY = 'collab-e2e-key-93ab';

describe(`collab datasource (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;
  let tokenServer: http.Server;
  let tokenUrl = '';
  const seen: Array<{ path: string; authorization?: string }> = [];

  beforeAll(async () => {
    // A pod's token endpoint: nothing the browser does may reach it (only the backend mints tokens).
    tokenServer = http.createServer((req, res) => {
      seen.push({
        path: req.url ?? '',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 't', scope: 'metadata', expiresAt: Date.now() + 60_000 }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}`;
    h = await startHarness();
  });

  afterEach(async () => {
    await h.reset();
    expect(h.takeConsoleErrors()).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => tokenServer?.close(resolve));
  });

  it('instantiates from dist/module.js without exposing the API key to the browser', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: [] },
      secureJsonData: { apiKey: API_KEY },
    });
    expect(ds.settings.secureJsonFields).toEqual({ apiKey: true });
    expect(JSON.stringify(ds.settings)).not.toContain(API_KEY);
    expect(await h.page.content()).not.toContain(API_KEY);
  });

  it('testDatasource reports a missing pod list as an error instead of throwing', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, { jsonData: { podUrls: [] } });
    const result = await h.testDatasource(ds.uid);
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/pod/i);
    // Answered by the backend's CheckHealth: a 400 the browser logs, as in Grafana.
    expect(h.takeConsoleErrors()).toEqual([expect.stringContaining('/health')]);
  });

  it('no route hands a browser a token: no data-proxy route, no token resource; the pod is never asked', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: [tokenUrl] },
      secureJsonData: { apiKey: API_KEY },
    });
    const status = (url: string, method: string) =>
      h.page.evaluate(
        async ([u, m]) => {
          const res = await fetch(u, { method: m, ...(m === 'POST' ? { body: '{}' } : {}) });
          return { status: res.status, body: await res.text() };
        },
        [url, method] as const
      );
    seen.length = 0;
    for (const role of ['Viewer', 'Editor', 'Admin'] as const) {
      await h.setUserRole(role);
      for (const scope of ['metadata', 'content']) {
        // The former token routes (plugin.json has no routes any more).
        const proxied = await status(`/api/datasources/proxy/uid/${ds.uid}/inspect-token/${scope}`, 'POST');
        expect(proxied.status).toBe(404);
        // The backend serves no token resource either (404 naming the resources it has).
        const resource = await status(
          `/api/datasources/uid/${ds.uid}/resources/inspect-token/${scope}`,
          'GET'
        );
        expect(resource.status).toBe(404);
        expect(resource.body).toContain('variables');
        expect(`${proxied.body}${resource.body}`).not.toContain(API_KEY);
      }
    }
    expect(seen).toEqual([]);
    h.takeConsoleErrors(); // the 404s
  });

  it('renders its ConfigEditor in dark and light', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: ['http://127.0.0.1:1'] },
      secureJsonData: { apiKey: API_KEY },
    });
    for (const theme of ['dark', 'light'] as const) {
      const editor = await h.renderConfigEditor(ds.uid, { theme });
      await expect.poll(async () => (await editor.locator.textContent())?.length ?? 0).toBeGreaterThan(0);
      await h.screenshot(`collab-datasource-config-${theme}`, editor.locator);
    }
  });
});
