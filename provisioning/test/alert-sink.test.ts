/**
 * The compose stack's alert receiver (docker/alert-sink/server.mjs), run as a real process: it logs
 * which alerts a notification carries (name, status, severity, SLO, org, runbook), never the raw
 * body or the query string, and bounds what it reads.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptServer, type ScriptServer } from './script-server.js';
import { asRecord, loadYaml } from './yaml-load.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** A Grafana webhook notification (shape of Grafana's webhook contact point payload, version 1). */
const GRAFANA_WEBHOOK = {
  receiver: 'collab-webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'CollabOpsLagHigh',
        org: 'globex',
        severity: 'ticket',
        slo: 'opslag',
        grafana_folder: 'CollabBlocks SLOs',
      },
      annotations: {
        summary: 'Ops lag of org globex averaged above 500 over 5 minutes',
        description: 'do-not-log-this-description',
        runbook_url: 'http://localhost:8088/CollabOpsLagHigh.md',
      },
      startsAt: '2026-12-03T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: 'abc',
    },
    {
      status: 'resolved',
      labels: { alertname: 'CollabUptimeBudgetBurnFast', severity: 'page', slo: 'uptime' },
      annotations: { summary: 'Uptime SLO burning fast' },
      startsAt: '2026-12-03T09:00:00Z',
      endsAt: '2026-12-03T09:30:00Z',
    },
  ],
  groupLabels: { alertname: 'CollabOpsLagHigh' },
  commonLabels: {},
  externalURL: 'http://localhost:3000/',
  version: '1',
  title: '[FIRING:1] CollabOpsLagHigh',
  message: 'do-not-log-this-message',
};

function lines(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('alert-sink (docker/alert-sink/server.mjs)', () => {
  let sink: ScriptServer;

  beforeAll(async () => {
    sink = await startScriptServer(resolve(ROOT, 'docker/alert-sink/server.mjs'));
  });
  afterAll(() => sink?.stop());

  /** The newest notification record, once `count` notifications have been logged. */
  const notification = async (count: number) => {
    const records = () => lines(sink.output()).filter((l) => String(l.msg).startsWith('alert notification'));
    await sink.waitForOutput(() => records().length >= count);
    return records()[count - 1];
  };

  it('logs alert names, statuses, severity, SLO, org and runbook of a Grafana webhook notification', async () => {
    const res = await fetch(`${sink.url}/alerts?token=do-not-log-this-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer do-not-log-this-header' },
      body: JSON.stringify(GRAFANA_WEBHOOK),
    });
    expect(res.status).toBe(200);
    const rec = (await notification(1))!;
    expect(rec).toMatchObject({
      msg: 'alert notification',
      path: '/alerts',
      kind: 'webhook',
      receiver: 'collab-webhook',
      status: 'firing',
      alertCount: 2,
      alerts: [
        {
          alertname: 'CollabOpsLagHigh',
          status: 'firing',
          severity: 'ticket',
          slo: 'opslag',
          org: 'globex',
          runbook_url: 'http://localhost:8088/CollabOpsLagHigh.md',
        },
        { alertname: 'CollabUptimeBudgetBurnFast', status: 'resolved', severity: 'page', slo: 'uptime' },
      ],
    });
    expect(sink.output()).not.toMatch(/do-not-log-this/);
  });

  it('logs the title of a Slack-format notification', async () => {
    await fetch(`${sink.url}/slack`, {
      method: 'POST',
      body: JSON.stringify({
        channel: '#collab-alerts',
        attachments: [{ title: '[FIRING:1] CollabErrorRateHigh', text: 'x' }],
      }),
    });
    expect(await notification(2)).toMatchObject({
      path: '/slack',
      kind: 'slack',
      titles: ['[FIRING:1] CollabErrorRateHigh'],
    });
  });

  it('survives bad input: non-JSON, oversized bodies, other methods', async () => {
    expect((await fetch(`${sink.url}/alerts`, { method: 'POST', body: 'not json {' })).status).toBe(200);
    expect(await notification(3)).toMatchObject({ kind: 'unparsable' });
    const big = await fetch(`${sink.url}/alerts`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    expect(await notification(4)).toMatchObject({ msg: 'alert notification rejected: body too large' });
    expect((await fetch(`${sink.url}/alerts`)).status).toBe(405);
    expect((await fetch(`${sink.url}/healthz`)).status).toBe(200);
  });

  it('is what compose runs as alert-sink, and the default webhook contact point targets it', () => {
    const compose = asRecord(loadYaml(resolve(ROOT, 'docker-compose.yml')), 'compose');
    const svc = asRecord(asRecord(compose.services, 'services')['alert-sink'], 'alert-sink');
    expect(svc.command).toEqual(['node', '/srv/alert-sink.mjs']);
    expect(svc.volumes).toContain('./docker/alert-sink/server.mjs:/srv/alert-sink.mjs:ro');
    expect(readFileSync(resolve(ROOT, '.env'), 'utf8')).toMatch(
      /^COLLAB_ALERT_WEBHOOK_URL=http:\/\/alert-sink:8080\//m
    );
  });
});
