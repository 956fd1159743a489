/**
 * A signed URL in a third-party iframe, in Debian's Chromium: a "SaaS page" on http://localhost:<a>
 * frames the gateway on http://127.0.0.1:<b> (another site). The framed page — served through the
 * gateway by a stand-in for Grafana — calls back through the gateway with the session cookie the
 * browser kept for the frame; the stand-in answers with the identity the request reached it with.
 * Shows that the cookie attributes (SameSite=None; Secure; Partitioned) work in a real browser and
 * that frame-ancestors lets the SaaS origin, and only it, frame the dashboard.
 */
import http from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/harness/src/browser.js';
import { createEmbedGateway } from '../src/embed/gateway.js';

const ORG = {
  id: 'acme',
  apiKey: 'acme-api-key-0123456789abcdefghijklmnopq',
  signingKey: 'acme-signing-key-0123456789abcdefghijklmn',
};
let grafana: http.Server;
let gateway: http.Server;
let saas: http.Server;
let browser: Browser;
let gatewayBase: string;
let saasBase: string;
let otherBase: string;
let other: http.Server;

function listen(server: http.Server): Promise<number> {
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port))
  );
}

/** The framed page's body: who Grafana saw the frame's API call as. */
const FRAMED = `<html><body><div id="who">loading</div><script>
  fetch('/api/user', { credentials: 'include' }).then(r => r.json()).then(u => { document.getElementById('who').textContent = u.login + '@' + u.orgId; },
    e => { document.getElementById('who').textContent = 'error ' + e; });
</script></body></html>`;

beforeAll(async () => {
  grafana = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/user')) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ login: req.headers['x-webauth-user'], orgId: req.headers['x-grafana-org-id'] })
        );
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(FRAMED);
    }
  });
  const gport = await listen(grafana);
  // The SaaS page: its back-end asks for a signed URL (the key never reaches the browser) and frames it.
  const saasPage = async (res: http.ServerResponse): Promise<void> => {
    const r = await fetch(`${gatewayBase}/api/grafana/signed_url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ORG.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dashboard: 'collab-org-admin', room: 'acme/roadmap' }),
    });
    const { url } = (await r.json()) as { url: string };
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<html><body><iframe id="embed" src="${url}" width="800" height="400"></iframe></body></html>`);
  };
  saas = http.createServer((_req, res) => void saasPage(res));
  saasBase = `http://localhost:${await listen(saas)}`;
  other = http.createServer((_req, res) => void saasPage(res));
  otherBase = `http://localhost:${await listen(other)}`;
  // The gateway's public URL is where it listens (no publicUrl): known once it listens on its ephemeral port.
  gateway = createEmbedGateway({
    orgs: [ORG],
    grafanaOrgId: () => 2,
    grafana: `http://127.0.0.1:${gport}`,
    sessionSecret: 'gateway-session-secret-0123456789abcdefghij',
    frameAncestors: [saasBase],
  });
  gatewayBase = `http://127.0.0.1:${await listen(gateway)}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  for (const s of [saas, other, gateway, grafana]) await new Promise((r) => s?.close(r));
});

it('the embed works inside a cross-site iframe: the frame reaches Grafana as the org viewer', async () => {
  const page = await browser.newPage();
  await page.goto(saasBase);
  const frame = page.frameLocator('#embed');
  await expect
    .poll(async () => frame.locator('#who').textContent(), { timeout: 15_000 })
    .toBe('embed-viewer-acme@2');
  await page.close();
});

it('another site may not frame the dashboard (frame-ancestors)', async () => {
  const page = await browser.newPage();
  const blocked: string[] = [];
  page.on('console', (m) => blocked.push(m.text()));
  await page.goto(otherBase);
  await expect
    .poll(() => blocked.some((t) => /frame-ancestors|Refused to frame/i.test(t)), { timeout: 15_000 })
    .toBe(true);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(
    await frame
      ?.locator('#who')
      .count()
      .catch(() => 0)
  ).toBe(0);
  await page.close();
});
