/**
 * Runbook links: the base URL setting (RUNBOOK_BASE_URL when generating), and the compose stack's
 * runbook server (docker/runbooks/server.mjs) serving every alert's runbook at the path of its
 * runbook_url — started here as a real process on a free port.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS, DEFAULT_RUNBOOK_BASE_URL, runbookBaseUrl, runbookUrl } from '../src/slo.js';
import { startScriptServer, type ScriptServer } from './script-server.js';
import { asArray, asRecord, loadYaml, rulesOf } from './yaml-load.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('runbook base URL', () => {
  it('defaults to the compose runbook server; RUNBOOK_BASE_URL overrides it (trailing slash dropped)', () => {
    expect(runbookBaseUrl({})).toBe(DEFAULT_RUNBOOK_BASE_URL);
    expect(runbookBaseUrl({ RUNBOOK_BASE_URL: '  ' })).toBe(DEFAULT_RUNBOOK_BASE_URL);
    expect(
      runbookBaseUrl({ RUNBOOK_BASE_URL: 'https://git.example.com/acme/collab/blob/main/docs/runbooks/' })
    ).toBe('https://git.example.com/acme/collab/blob/main/docs/runbooks');
    expect(runbookUrl('CollabOpsLagHigh', 'https://runbooks.example.com')).toBe(
      'https://runbooks.example.com/CollabOpsLagHigh.md'
    );
  });

  it('rejects what is not an absolute http(s) URL, with a clear error', () => {
    for (const bad of [
      'docs/runbooks',
      'ftp://x/runbooks',
      'https://x/r?token=1',
      'https://u:p@x/r',
      'https://x/r#a',
    ]) {
      expect(() => runbookBaseUrl({ RUNBOOK_BASE_URL: bad }), bad).toThrow(
        /RUNBOOK_BASE_URL must be an absolute/
      );
    }
  });

  it('the compose runbook service serves docs/runbooks on the default base port', () => {
    const compose = asRecord(loadYaml(resolve(ROOT, 'docker-compose.yml')), 'compose');
    const svc = asRecord(asRecord(compose.services, 'services').runbooks, 'runbooks');
    expect(asArray(svc.volumes, 'volumes')).toEqual(
      expect.arrayContaining([
        './docs/runbooks:/srv/runbooks:ro',
        './docker/runbooks/server.mjs:/srv/runbook-server.mjs:ro',
      ])
    );
    const port = new URL(DEFAULT_RUNBOOK_BASE_URL).port;
    expect(asArray(svc.ports, 'ports')).toContain(`${port}:8080`);
    expect(asRecord(svc.environment, 'environment').PORT).toBe('8080');
  });
});

describe('runbook server (docker/runbooks/server.mjs)', () => {
  let server: ScriptServer;
  let base = '';

  beforeAll(async () => {
    server = await startScriptServer(resolve(ROOT, 'docker/runbooks/server.mjs'), {
      RUNBOOK_DIR: resolve(ROOT, 'docs/runbooks'),
    });
    base = server.url;
  });

  afterAll(() => server?.stop());

  it('serves the runbook of every provisioned alert at the path of its runbook_url', async () => {
    const rules = rulesOf(resolve(ROOT, 'provisioning/grafana/alerting/alert-rules.yml')).map((r) =>
      asRecord(r, 'rule')
    );
    expect(rules).toHaveLength(ALERTS.length);
    for (const r of rules) {
      const url = new URL(String(asRecord(r.annotations, 'annotations').runbook_url));
      const res = await fetch(`${base}${url.pathname}`);
      expect(res.status, url.pathname).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const text = await res.text();
      expect(text).toBe(readFileSync(resolve(ROOT, `docs/runbooks/${String(r.title)}.md`), 'utf8'));
    }
  });

  it('lists the runbooks at /, answers /healthz, and serves nothing outside the runbook directory', async () => {
    const index = await (await fetch(`${base}/`)).text();
    for (const a of ALERTS) expect(index).toContain(`<a href="${a.name}.md">`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const path of [
      '/..%2F..%2Fpackage.json',
      '/%2e%2e/README.md',
      '/sub/x.md',
      '/README',
      '/nope.md',
      '/.env',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/CollabOpsLagHigh.md`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/CollabOpsLagHigh.md`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
