// E2E: the collab datasource loaded from its dist/module.js in the harness (run per leg: HARNESS_LEG).
// Starter coverage written against the harness; the datasource engineers extend it (live queries against a pod).
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
    // Stands in for the pod's token endpoint behind the plugin.json routes.
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
      jsonData: { podUrls: [], tokenUrl },
      secureJsonData: { apiKey: API_KEY },
    });
    expect(ds.settings.secureJsonFields).toEqual({ apiKey: true });
    expect(await h.page.content()).not.toContain(API_KEY);
  });

  it('testDatasource reports a missing pod list as an error instead of throwing', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, { jsonData: { podUrls: [] } });
    const result = await h.testDatasource(ds.uid);
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/pod/i);
  });

  it('token routes: reqRole is enforced and the API key is injected by the proxy', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: [tokenUrl], tokenUrl },
      secureJsonData: { apiKey: API_KEY },
    });
    const post = (route: string) =>
      h.page.evaluate(
        async ([uid, r]) =>
          (await fetch(`/api/datasources/proxy/uid/${uid}/${r}`, { method: 'POST', body: '{}' })).status,
        [ds.uid, route] as const
      );
    await h.setUserRole('Viewer');
    expect(await post('inspect-token/content')).toBe(403);
    expect(h.takeConsoleErrors()).toEqual([expect.stringContaining('403')]);
    seen.length = 0;
    expect(await post('inspect-token/metadata')).toBe(200);
    expect(seen).toEqual([{ path: '/api/inspect/token/metadata', authorization: `Bearer ${API_KEY}` }]);
    await h.setUserRole('Editor');
    expect(await post('inspect-token/content')).toBe(200);
    await h.setUserRole('Admin');
  });

  it('renders its ConfigEditor in dark and light', async () => {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: ['http://127.0.0.1:1'], tokenUrl: 'http://127.0.0.1:1' },
      secureJsonData: { apiKey: API_KEY },
    });
    for (const theme of ['dark', 'light'] as const) {
      const editor = await h.renderConfigEditor(ds.uid, { theme });
      await expect.poll(async () => (await editor.locator.textContent())?.length ?? 0).toBeGreaterThan(0);
      await h.screenshot(`collab-datasource-config-${theme}`, editor.locator);
    }
  });
});
