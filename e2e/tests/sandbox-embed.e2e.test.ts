// E2E: the sandbox's signed-URL embed (npm run sandbox; docs/EMBEDDING.md) in Chromium, per leg. A SaaS page on
// http://127.0.0.1:<port>/<org> (its own origin) asks the real embed gateway for a signed URL with the org's key (server-side)
// and frames it; the gateway verifies it and proxies to the pretend-Grafana as embed-viewer-<org> through its
// auth proxy; that org's Org Admin dashboard runs the built plugins against a REAL pod with the org's pod key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';

import { BROWSER_WS_ENV, connectBrowser, launchBrowser } from '../harness/src/browser.js';
import { type SandboxEmbed, startSandboxEmbed } from '../harness/src/embed/sandboxEmbed.js';
import { assertLeg } from '../harness/src/server/paths.js';
import { startPod, type PodProcess } from '../../collab-server/test/helpers/pod.js';
import { mintToken, TEST_API_KEYS } from '../../collab-server/test/helpers/jwt.js';
import { connectClient, type StockClient } from '../../collab-server/test/helpers/clients.js';

const leg = assertLeg(process.env.HARNESS_LEG ?? 'grafana-12');
const ACME_ROOMS = ['acme/embed-alpha', 'acme/embed-beta'];
const GLOBEX_ROOMS = ['globex/embed-gamma'];
/**
 * A test that opens the dashboard loads the whole host page (an 8 MB bundle, no cache in a fresh browser
 * profile) through the gateway and the auth proxy, at most twice: more than the suite's 30 s default on this
 * shared 2-core machine, so those tests get 60 s.
 */
const LOAD_TIMEOUT = 60_000;

describe(`sandbox: an org dashboard embedded through a signed URL (${leg})`, () => {
  let pod: PodProcess;
  let embed: SandboxEmbed;
  let browser: Browser;
  const editors: StockClient[] = [];

  beforeAll(async () => {
    pod = await startPod();
    for (const room of [...ACME_ROOMS, ...GLOBEX_ROOMS]) {
      const org = room.split('/')[0]!;
      const c = connectClient(
        pod.wsUrl,
        room,
        await mintToken({ org, sub: `${org}-editor`, name: 'Editor' }),
        {
          awareness: { user: { name: 'Editor', color: '#3366ff' }, cursor: { x: 0.4, y: 0.5 } },
        }
      );
      editors.push(c);
      await c.synced;
      c.doc.getText('body').insert(0, `text of ${room}`);
    }
    embed = await startSandboxEmbed({
      leg,
      jsonData: { podUrls: [pod.httpUrl], tokenUrl: pod.httpUrl },
      orgs: [
        { id: 'acme', name: 'Acme', podApiKey: TEST_API_KEYS.acme.key, room: ACME_ROOMS[0] },
        { id: 'globex', name: 'Globex', podApiKey: TEST_API_KEYS.globex.key, room: GLOBEX_ROOMS[0] },
      ],
    });
    const ws = process.env[BROWSER_WS_ENV];
    browser = ws ? await connectBrowser(ws) : await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await embed?.close();
    for (const e of editors) e.destroy();
    await pod?.cleanup();
  });

  /** A fresh browser profile (no embed cookie) on the SaaS page of `org`. */
  async function saasPage(org: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // `commit`: the frame's dashboard is awaited by the assertions, not by the page's load event.
    await page.goto(`${embed.saasUrl}/${org}`, { waitUntil: 'commit' });
    return page;
  }

  const roomsTable = (page: Page) =>
    page.frameLocator('#embed').locator('[data-sandbox-panel="Rooms now"] table').first();

  async function roomsShown(page: Page, expected: string[]): Promise<string> {
    await expect
      .poll(
        async () =>
          (await roomsTable(page)
            .textContent()
            .catch(() => '')) ?? '',
        { timeout: 45_000 }
      )
      .toSatisfy((text: string) => expected.every((r) => text.includes(r)));
    return (await roomsTable(page).textContent()) ?? '';
  }

  /** The embed frame's body text (a refusal is the gateway's JSON, shown as text). */
  const frameText = (page: Page) =>
    page
      .frameLocator('#embed')
      .locator('body')
      .textContent()
      .catch(() => '');

  it(
    "org A's SaaS page shows org A's rooms and none of org B's, as org A's embed viewer",
    async () => {
      const page = await saasPage('acme');
      const text = await roomsShown(page, ACME_ROOMS);
      expect(text).not.toContain('globex');
      // The built panels run on the dashboard, for $room from the signed URL.
      const frame = page.frameLocator('#embed');
      await expect
        .poll(() => frame.locator('[data-harness-mount^="panel-"]').count(), { timeout: 15_000 })
        .toBe(2);
      // Grafana saw the frame's requests as the org's viewer, in the org's Grafana organisation.
      const who = await page
        .frames()
        .find((f) => f !== page.mainFrame())!
        .evaluate(async () => (await fetch('/api/user')).json() as Promise<{ login: string; orgId: number }>);
      expect(who).toEqual({
        login: 'embed-viewer-acme',
        orgId: embed.grafanaOrgIds.get('acme'),
        orgRole: 'Viewer',
      });
      // Neither the org's SaaS key nor its pod key reached the browser.
      expect(await page.content()).not.toContain(TEST_API_KEYS.acme.key);
      expect(await frame.locator('html').innerHTML()).not.toContain(TEST_API_KEYS.acme.key);
      await page.context().close();
    },
    LOAD_TIMEOUT
  );

  it(
    "org B's SaaS page shows org B's rooms and none of org A's",
    async () => {
      const page = await saasPage('globex');
      expect(await roomsShown(page, GLOBEX_ROOMS)).not.toContain('acme');
      await page.context().close();
    },
    LOAD_TIMEOUT
  );

  it(
    'keeps working after a refresh: a new signed URL each time',
    async () => {
      const page = await saasPage('acme');
      const urls: string[] = [];
      for (let i = 0; i < 2; i++) {
        if (i > 0) await page.reload({ waitUntil: 'commit' });
        urls.push((await page.locator('#embed').getAttribute('src')) ?? '');
        await roomsShown(page, ACME_ROOMS);
      }
      expect(new Set(urls).size).toBe(2);
      await page.context().close();
    },
    LOAD_TIMEOUT
  );

  it(
    "a tampered, expired or replayed URL shows the gateway's refusal",
    async () => {
      const page = await saasPage('acme');
      /** A signed URL from the SaaS back-end (as the page's own refresh gets one), set as the frame's src. */
      const next = (query = '') =>
        page.evaluate(
          async (q) =>
            (await (await fetch(`/api/embed-url/acme${q}`)).json()) as { url: string; expiresAt: string },
          query
        );
      const show = async (url: string) => {
        await page.evaluate((u) => {
          (document.getElementById('embed') as HTMLIFrameElement).src = u;
        }, url);
      };

      const good = await next();
      await show(good.url.replace('var-room=acme%2Fembed-alpha', 'var-room=acme%2Fembed-beta'));
      await expect.poll(() => frameText(page), { timeout: 10_000 }).toContain('"error":"bad_signature"');

      await show(good.url);
      await roomsShown(page, ACME_ROOMS);
      await show(good.url);
      await expect.poll(() => frameText(page), { timeout: 10_000 }).toContain('"error":"replayed"');

      const short = await next('?ttl=1');
      // x-exp is in whole seconds: the URL is expired once the clock is past it.
      await expect.poll(() => Date.now() > Date.parse(short.expiresAt), { timeout: 5_000 }).toBe(true);
      await show(short.url);
      await expect.poll(() => frameText(page), { timeout: 10_000 }).toContain('"error":"expired"');
      await page.context().close();
    },
    LOAD_TIMEOUT
  );

  it('the pretend-Grafana honours the auth-proxy identity only: no identity, another org or dashboard refused', async () => {
    const acmeId = embed.grafanaOrgIds.get('acme')!;
    const globexId = embed.grafanaOrgIds.get('globex')!;
    const get = async (path: string, headers: Record<string, string> = {}) =>
      (await fetch(`${embed.grafanaUrl}${path}`, { headers })).status;
    const acme = { 'x-webauth-user': 'embed-viewer-acme' };
    expect(await get(`/d/collab-org-admin?orgId=${acmeId}`)).toBe(401);
    expect(await get(`/api/datasources/uid/collab`)).toBe(401);
    expect(await get(`/d/collab-org-admin?orgId=${acmeId}`, { 'x-webauth-user': 'admin' })).toBe(401);
    expect(await get(`/d/collab-org-admin?orgId=${globexId}`, acme)).toBe(403);
    expect(await get(`/d/collab-org-admin`, { ...acme, 'x-grafana-org-id': String(globexId) })).toBe(403);
    expect(await get(`/d/collab-sre-internal?orgId=${acmeId}`, acme)).toBe(404);
    expect(
      await get(`/d/collab-org-admin?orgId=${acmeId}`, { ...acme, 'x-grafana-org-id': String(acmeId) })
    ).toBe(200);
    // And the gateway: nothing without a session, whatever identity the client claims.
    const r = await fetch(`${embed.gatewayUrl}/d/collab-org-admin?orgId=${acmeId}`, { headers: acme });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: string }).error).toBe('no_session');
  });
});
